package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestReportNamesSkipsAndFailures(t *testing.T) {
	in := strings.Join([]string{
		`{"Action":"run","Package":"p/a","Test":"TestDB"}`,
		`{"Action":"output","Package":"p/a","Test":"TestDB","Output":"--- SKIP: TestDB (0.00s)\n"}`,
		`{"Action":"output","Package":"p/a","Test":"TestDB","Output":"    db_test.go:12: TEST_DATABASE_URL is not set\n"}`,
		`{"Action":"skip","Package":"p/a","Test":"TestDB"}`,
		`{"Action":"output","Package":"p/a","Test":"TestOK","Output":"quiet\n"}`,
		`{"Action":"pass","Package":"p/a","Test":"TestOK"}`,
		`{"Action":"output","Package":"p/b","Test":"TestBad","Output":"    bad_test.go:3: boom\n"}`,
		`{"Action":"fail","Package":"p/b","Test":"TestBad"}`,
		`{"Action":"output","Package":"p/b","Output":"FAIL\tp/b\t0.1s\n"}`,
		`{"Action":"skip","Package":"p/c"}`,
	}, "\n")
	var out bytes.Buffer
	code := run(strings.NewReader(in), &out)
	assert.Equal(t, 1, code, "a failure fails the run")
	assert.Contains(t, out.String(), "bad_test.go:3: boom", "a failing test's output is shown")
	assert.NotContains(t, out.String(), "quiet", "a passing test's output is not")
	assert.Contains(t, out.String(), "FAIL\tp/b")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	assert.Equal(t, `skipped 1 tests: "TEST_DATABASE_URL is not set" (1: p/a.TestDB)`, lines[len(lines)-1])

	out.Reset()
	assert.Equal(t, 0, run(strings.NewReader(`{"Action":"pass","Package":"p/a","Test":"TestOK"}`), &out))
	assert.Equal(t, "skipped: nothing\n", out.String())
}
