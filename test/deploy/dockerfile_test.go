package deploy_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// instruction is one Dockerfile instruction with its continuation lines
// joined.
type instruction struct {
	Cmd  string // upper case: FROM, RUN, ...
	Args string
}

// stage is the instructions from one FROM to the next.
type stage struct {
	Image string
	Name  string
	Body  []instruction
}

func parseDockerfile(t *testing.T, text string) []stage {
	t.Helper()
	var (
		stages  []stage
		pending string
	)
	for _, raw := range strings.Split(text, "\n") {
		line := strings.TrimSpace(raw)
		if pending == "" && (line == "" || strings.HasPrefix(line, "#")) {
			continue
		}
		if strings.HasSuffix(line, "\\") {
			pending += strings.TrimSuffix(line, "\\") + " "
			continue
		}
		line = pending + line
		pending = ""
		cmd, args, _ := strings.Cut(line, " ")
		in := instruction{Cmd: strings.ToUpper(cmd), Args: strings.TrimSpace(args)}
		if in.Cmd == "FROM" {
			fields := strings.Fields(in.Args)
			require.NotEmpty(t, fields)
			st := stage{Image: fields[0]}
			if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
				st.Name = fields[2]
			}
			stages = append(stages, st)
			continue
		}
		require.NotEmpty(t, stages, "%s before FROM", in.Cmd)
		stages[len(stages)-1].Body = append(stages[len(stages)-1].Body, in)
	}
	require.Empty(t, pending, "the file ends in a continuation")
	return stages
}

func (s stage) find(cmd string) []instruction {
	var out []instruction
	for _, in := range s.Body {
		if in.Cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t, readRootFile(t, "Dockerfile"))
	require.GreaterOrEqual(t, len(stages), 2, "multi-stage build")
	final := stages[len(stages)-1]

	t.Run("base images are pinned", func(t *testing.T) {
		pinned := regexp.MustCompile(`^[a-z0-9./_-]+(:[A-Za-z0-9._-]+)?(@sha256:[a-f0-9]{64})?$`)
		for _, st := range stages {
			assert.Regexp(t, pinned, st.Image)
			assert.True(t, strings.Contains(st.Image, ":") || strings.Contains(st.Image, "@"), "%s has no tag or digest", st.Image)
			assert.NotContains(t, st.Image, ":latest", "%s uses latest", st.Image)
		}
		assert.Equal(t, "golang:"+goRelease(t), stages[0].Image, "the builder runs go.mod's Go release")
		assert.Equal(t, "gcr.io/distroless/static-debian12:nonroot", final.Image)
	})

	t.Run("static trimmed build", func(t *testing.T) {
		var build string
		for _, in := range stages[0].find("RUN") {
			if strings.Contains(in.Args, "go build") {
				build = in.Args
			}
		}
		require.NotEmpty(t, build, "no go build")
		for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-s -w", "-X main.version=", "./cmd/identityd", "--mount=type=cache,target=/go/pkg/mod"} {
			assert.Contains(t, build, want)
		}
	})

	t.Run("final stage runs as non-root", func(t *testing.T) {
		users := final.find("USER")
		require.NotEmpty(t, users, "no USER")
		user := strings.Fields(users[len(users)-1].Args)[0]
		name, _, _ := strings.Cut(user, ":")
		assert.NotContains(t, []string{"root", "0"}, name)
	})

	t.Run("healthcheck uses the binary", func(t *testing.T) {
		hc := final.find("HEALTHCHECK")
		require.Len(t, hc, 1)
		assert.Contains(t, hc[0].Args, "healthcheck")
		assert.NotContains(t, hc[0].Args, "curl", "the distroless image has no curl")
	})

	t.Run("exposes 8080", func(t *testing.T) {
		var ports []string
		for _, in := range final.find("EXPOSE") {
			ports = append(ports, strings.Fields(in.Args)...)
		}
		assert.Contains(t, ports, "8080")
	})

	t.Run("no ADD of URLs", func(t *testing.T) {
		for _, st := range stages {
			for _, in := range st.find("ADD") {
				assert.NotRegexp(t, `(?i)\b(https?|git)://`, in.Args)
			}
		}
	})
}
