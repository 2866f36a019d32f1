package deploy_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

// compose is the part of the Compose file format these tests read.
type compose struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image       string                      `yaml:"image"`
	Build       any                         `yaml:"build"`
	EnvFile     []composeEnvFile            `yaml:"env_file"`
	Environment map[string]string           `yaml:"environment"`
	Ports       []string                    `yaml:"ports"`
	Volumes     []string                    `yaml:"volumes"`
	DependsOn   map[string]composeDependsOn `yaml:"depends_on"`
	Healthcheck *composeHealthcheck         `yaml:"healthcheck"`
	NetworkMode string                      `yaml:"network_mode"`
}

type composeEnvFile struct {
	Path     string `yaml:"path"`
	Required *bool  `yaml:"required"`
}

type composeDependsOn struct {
	Condition string `yaml:"condition"`
}

type composeHealthcheck struct {
	Test     []string `yaml:"test"`
	Interval string   `yaml:"interval"`
	Retries  int      `yaml:"retries"`
}

func loadCompose(t *testing.T) compose {
	t.Helper()
	var c compose
	dec := yaml.NewDecoder(strings.NewReader(readRootFile(t, "docker-compose.yml")))
	dec.KnownFields(false)
	require.NoError(t, dec.Decode(&c))
	return c
}

func TestComposeServices(t *testing.T) {
	c := loadCompose(t)
	names := make([]string, 0, len(c.Services))
	for n := range c.Services {
		names = append(names, n)
	}
	slices.Sort(names)
	require.Equal(t, []string{"identityd", "mailpit", "postgres", "redis"}, names)

	tests := []struct {
		service     string
		wantImage   string
		wantCheck   string
		wantVolumes []string
	}{
		{"postgres", "postgres:15", "pg_isready", []string{"postgres-data:/var/lib/postgresql/data"}},
		{"redis", "redis:7", "redis-cli ping", []string{"redis-data:/data"}},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			s := c.Services[tt.service]
			assert.Equal(t, tt.wantImage, s.Image)
			require.NotNil(t, s.Healthcheck, "no healthcheck")
			require.NotEmpty(t, s.Healthcheck.Test)
			assert.Contains(t, []string{"CMD", "CMD-SHELL"}, s.Healthcheck.Test[0])
			assert.Contains(t, strings.Join(s.Healthcheck.Test[1:], " "), tt.wantCheck)
			assert.Positive(t, s.Healthcheck.Retries)
			assert.Equal(t, tt.wantVolumes, s.Volumes)
			assert.Empty(t, s.Ports, "the backing services are not published")
		})
	}
}

func TestComposeIdentityd(t *testing.T) {
	c := loadCompose(t)
	s := c.Services["identityd"]

	assert.NotNil(t, s.Build, "identityd is built from the Dockerfile")
	assert.Contains(t, s.Ports, "8080:8080")
	require.Len(t, s.EnvFile, 1)
	assert.Equal(t, ".env", s.EnvFile[0].Path)

	for _, dep := range []string{"postgres", "redis"} {
		assert.Equal(t, "service_healthy", s.DependsOn[dep].Condition, "depends_on %s", dep)
	}

	read := loaderVariables(t)
	for name := range s.Environment {
		assert.Contains(t, read, name, "identityd gets %s, which app/config.go does not read", name)
	}
	db, err := url.Parse(s.Environment["DATABASE_URL"])
	require.NoError(t, err)
	assert.Equal(t, "postgres", db.Scheme)
	assert.Equal(t, "postgres", db.Hostname())
	pg := c.Services["postgres"]
	require.NotNil(t, pg.Healthcheck)
	user := db.User.Username()
	assert.Contains(t, pg.Healthcheck.Test[1], "-U "+user)
	var pgEnv = pg.Environment
	assert.Equal(t, user, pgEnv["POSTGRES_USER"])
	pass, _ := db.User.Password()
	assert.Equal(t, pass, pgEnv["POSTGRES_PASSWORD"])
	assert.Equal(t, "/"+pgEnv["POSTGRES_DB"], db.Path)

	rd, err := url.Parse(s.Environment["REDIS_URL"])
	require.NoError(t, err)
	assert.Equal(t, "redis", rd.Scheme)
	assert.Equal(t, "redis", rd.Hostname())
}

// The development mail catcher shares identityd's network namespace, so
// SMTP_URL names a loopback host (where STARTTLS is not required) and its
// web interface is published with identityd's ports.
func TestComposeMailCatcher(t *testing.T) {
	c := loadCompose(t)
	mp := c.Services["mailpit"]
	assert.True(t, strings.HasPrefix(mp.Image, "axllent/mailpit:"), mp.Image)
	assert.Equal(t, "service:identityd", mp.NetworkMode)
	id := c.Services["identityd"]
	u, err := url.Parse(id.Environment["SMTP_URL"])
	require.NoError(t, err)
	assert.Equal(t, "smtp", u.Scheme)
	assert.Equal(t, "localhost", u.Hostname())
	assert.Equal(t, "1025", u.Port())
	assert.Contains(t, id.Ports, "8025:8025")
}

func TestComposeVolumesAreDeclared(t *testing.T) {
	c := loadCompose(t)
	used := map[string]bool{}
	for name, s := range c.Services {
		for _, v := range s.Volumes {
			src, _, ok := strings.Cut(v, ":")
			require.True(t, ok, "%s: volume %q has no target", name, v)
			if strings.HasPrefix(src, ".") || strings.HasPrefix(src, "/") {
				continue // a bind mount
			}
			used[src] = true
			assert.Contains(t, c.Volumes, src, "%s uses the undeclared volume %s", name, src)
		}
	}
	for v := range c.Volumes {
		assert.True(t, used[v], "volume %s is declared but unused", v)
	}
}
