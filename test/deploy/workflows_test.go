package deploy_test

import (
	"bytes"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/identityd/identityd/app/apptest"
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

// job is one job of a workflow, with what the rules below read.
type job struct {
	If    string `yaml:"if"`
	Needs any    `yaml:"needs"`
	Steps []struct {
		Name string            `yaml:"name"`
		Uses string            `yaml:"uses"`
		Run  string            `yaml:"run"`
		Env  map[string]string `yaml:"env"`
	} `yaml:"steps"`
}

func loadJobs(t *testing.T, name string) map[string]job {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, ".github", "workflows", name))
	require.NoError(t, err)
	var w struct {
		On   map[string]any `yaml:"on"`
		Jobs map[string]job `yaml:"jobs"`
	}
	require.NoError(t, yaml.Unmarshal(b, &w))
	return w.Jobs
}

// stepIndex is the position of the first step of j whose run script
// contains want; -1 when none.
func stepIndex(j job, want string) int {
	for i, s := range j.Steps {
		if strings.Contains(s.Run, want) {
			return i
		}
	}
	return -1
}

// The deploy workflow upgrades as the README says: a backup, then
// `migrate up` with the new image, before the staging slot runs it; a
// smoke test that reads discovery and issues a token on staging and on
// production; develop deploys to staging only; every URL comes from a
// variable, none from the default host names that App Service apps made
// since 2024 do not have.
func TestDeployWorkflowUpgradesInOrder(t *testing.T) {
	_, text := loadWorkflow(t, "deploy.yml")
	assert.NotContains(t, text, "azurewebsites.net", "no default host names")
	jobs := loadJobs(t, "deploy.yml")

	staging := jobs["staging"]
	backup, migrate := stepIndex(staging, "backup create"), stepIndex(staging, "migrate up")
	deploy, smoke := stepIndex(staging, "container set"), stepIndex(staging, "smoke-test.sh")
	require.GreaterOrEqual(t, backup, 0, "a backup step")
	require.GreaterOrEqual(t, migrate, 0, "a migrate up step")
	require.GreaterOrEqual(t, deploy, 0, "a deploy step")
	require.GreaterOrEqual(t, smoke, 0, "a smoke test")
	assert.Less(t, backup, migrate, "the backup comes before the migration")
	assert.Less(t, migrate, deploy, "the schema is migrated before the staging slot runs the image")
	assert.Less(t, deploy, smoke)
	assert.Contains(t, staging.Steps[migrate].Env["IMAGE"], "needs.build.outputs.image", "migrated with the new image")
	assert.Contains(t, staging.Steps[smoke].Env["URL"], "vars.STAGING_URL")

	production := jobs["production"]
	assert.Contains(t, production.If, "head_branch == 'main'", "only main reaches production")
	swap, psmoke := stepIndex(production, "slot swap"), stepIndex(production, "smoke-test.sh")
	require.GreaterOrEqual(t, psmoke, 0, "a smoke test after the swap")
	assert.Less(t, swap, psmoke)
	assert.Contains(t, production.Steps[psmoke].Env["URL"], "vars.PRODUCTION_URL")
	assert.Equal(t, -1, stepIndex(production, "migrate up"), "production runs what staging migrated")

	w, _ := loadWorkflow(t, "deploy.yml")
	run, _ := w.On["workflow_run"].(map[string]any)
	assert.ElementsMatch(t, []any{"main", "develop"}, run["branches"], "develop deploys to staging")
	ci, _ := loadWorkflow(t, "ci.yml")
	push, _ := ci.On["push"].(map[string]any)
	assert.Contains(t, push["branches"], "develop", "CI runs on develop, so deploy follows it")
}

// CI runs what the README and SECURITY.md say it runs: the fuzz targets
// and govulncheck, through the same make targets.
func TestCIRunsFuzzAndGovulncheck(t *testing.T) {
	_, text := loadWorkflow(t, "ci.yml")
	assert.Contains(t, text, "make fuzz")
	assert.Contains(t, text, "make vulncheck")
	readme := readRootFile(t, "README.md")
	assert.Contains(t, readme, "`make fuzz`")
	assert.Contains(t, readme, "CI runs it")
}

// The smoke test the deploy workflow runs passes against a running
// identityd and fails on a wrong secret or an issuer that is not the URL.
func TestSmokeTestScript(t *testing.T) {
	for _, tool := range []string{"bash", "curl", "jq"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: %v", tool, err)
		}
	}
	s := apptest.Start(t, nil)
	_, port, err := net.SplitHostPort(strings.TrimPrefix(s.URL, "http://"))
	require.NoError(t, err)
	issuer := "http://localhost:" + port // the default ISSUER_URL
	script := filepath.Join(root, ".github", "smoke-test.sh")
	run := func(base, secret string) (string, error) {
		cmd := exec.Command("bash", script, base)
		cmd.Env = append(os.Environ(), "CLIENT_ID="+apptest.AdminClientID, "CLIENT_SECRET="+secret, "GITHUB_ACTIONS=")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run(issuer, apptest.AdminClientSecret)
	require.NoError(t, err, out)
	assert.Contains(t, out, "introspects as active")
	assert.NotContains(t, out, apptest.AdminClientSecret)

	out, err = run(issuer, "wrong-secret-0123456789-0123456789")
	assert.Error(t, err, out)
	out, err = run(s.URL, apptest.AdminClientSecret)
	assert.Error(t, err, out)
	assert.Contains(t, out, "check ISSUER_URL")
}
