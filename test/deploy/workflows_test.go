package deploy_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"
)

func workflowFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, ".github", "workflows", "*.yml"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

// TestWorkflowsPassActionlint runs actionlint, pinned in tools/go.mod, over
// every workflow and fails on any finding. actionlint lives in its own
// module because its YAML dependency conflicts with kin-openapi's. It
// checks run: scripts with shellcheck when that is installed.
func TestWorkflowsPassActionlint(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to run actionlint: %v", err)
	}
	args := []string{"tool", "-modfile=tools/go.mod", "actionlint", "-oneline", "-no-color"}
	if _, err := exec.LookPath("shellcheck"); err != nil {
		t.Log("shellcheck not installed: run: scripts are not checked")
		args = append(args, "-shellcheck=")
	}
	for _, f := range workflowFiles(t) {
		rel, err := filepath.Rel(root, f)
		require.NoError(t, err)
		args = append(args, rel)
	}
	cmd := exec.CommandContext(t.Context(), goBin, args...)
	cmd.Dir = root
	// actionlint reports findings on stdout. The go command writes its own
	// progress to stderr ("go: downloading ..." on a cold module cache), so
	// stderr is read only to explain a failure, never to judge the
	// workflows.
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 && stdout.Len() > 0 {
		t.Fatalf("actionlint found problems:\n%s", stdout.String())
	}
	require.NoError(t, err, "run actionlint:\n%s%s", stdout.String(), stderr.String())
	assert.Empty(t, strings.TrimSpace(stdout.String()), "actionlint findings")
}

// workflow is the part of a workflow file the rules below read.
type workflow struct {
	On          map[string]any    `yaml:"on"`
	Permissions map[string]string `yaml:"permissions"`
	Jobs        map[string]struct {
		Environment any               `yaml:"environment"`
		Permissions map[string]string `yaml:"permissions"`
		Services    map[string]struct {
			Image string `yaml:"image"`
		} `yaml:"services"`
		Env   map[string]string `yaml:"env"`
		Steps []struct {
			Uses string            `yaml:"uses"`
			Run  string            `yaml:"run"`
			With map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"jobs"`
}

func loadWorkflow(t *testing.T, name string) (workflow, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, ".github", "workflows", name))
	require.NoError(t, err)
	var w workflow
	require.NoError(t, yaml.Unmarshal(b, &w))
	return w, string(b)
}

func TestCIWorkflow(t *testing.T) {
	w, text := loadWorkflow(t, "ci.yml")
	assert.Contains(t, w.On, "push")
	assert.Contains(t, w.On, "pull_request")
	for _, want := range []string{"gofmt", "go vet", "staticcheck", "actionlint", "make test"} {
		assert.Contains(t, text, want)
	}
	test, ok := w.Jobs["test"]
	require.True(t, ok, "no test job")
	assert.Equal(t, "postgres:15", test.Services["postgres"].Image)
	assert.Equal(t, "redis:7", test.Services["redis"].Image)
	for _, v := range []string{"TEST_DATABASE_URL", "TEST_REDIS_URL"} {
		assert.NotEmpty(t, test.Env[v], v)
	}
	assert.Equal(t, "1", test.Env["REQUIRE_SERVICES"])
}

func TestDeployWorkflow(t *testing.T) {
	w, text := loadWorkflow(t, "deploy.yml")
	assert.Contains(t, w.On, "workflow_run", "deploy runs after CI")
	assert.NotContains(t, strings.ToLower(text), "password", "no stored passwords")
	assert.NotContains(t, text, "creds:", "OIDC, not a service principal secret")

	var production, staging, logins int
	for name, job := range w.Jobs {
		for _, step := range job.Steps {
			if strings.HasPrefix(step.Uses, "azure/login@") {
				logins++
				assert.Equal(t, "write", job.Permissions["id-token"], "%s logs in with OIDC and needs id-token: write", name)
				for _, k := range []string{"client-id", "tenant-id", "subscription-id"} {
					assert.Contains(t, step.With[k], "vars.", "%s: %s comes from a variable", name, k)
				}
			}
		}
		env := ""
		switch e := job.Environment.(type) {
		case string:
			env = e
		case map[string]any:
			env, _ = e["name"].(string)
		}
		switch env {
		case "production":
			production++
		case "staging":
			staging++
		}
	}
	assert.Positive(t, logins, "no azure/login")
	assert.Equal(t, 1, staging, "one job deploys to the staging environment")
	assert.Equal(t, 1, production, "one job deploys to the production environment (required reviewers)")
	assert.Contains(t, text, "slot")
	assert.Contains(t, text, "azurecr.io")
}
