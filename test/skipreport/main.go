// Command skipreport reads "go test -json" events on stdin and prints what
// a person needs from a test run: the output of failing tests, build
// errors, one line per package, and at the end one line naming the tests
// that were skipped and why. It exits 1 when anything failed. make test
// pipes its runs through it, so a suite that skips (no PostgreSQL, no
// browser) says so without -v.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
)

// event is one line of test2json output (go doc test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

// skipLine matches the message t.Skip writes: "    file_test.go:12: reason".
var skipLine = regexp.MustCompile(`^\s+[\w.-]+\.go:\d+: (.+)$`)

func main() {
	os.Exit(run(os.Stdin, os.Stdout))
}

func run(in io.Reader, out io.Writer) int {
	type key struct{ pkg, test string }
	buffered := map[key][]string{}
	// skipped maps a reason to the packages and tests it skipped.
	skipped := map[string][]string{}
	failed := false
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			// Not an event (go vet or the linker wrote to stdout): pass it on.
			fmt.Fprintln(out, sc.Text())
			continue
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "build-output":
			fmt.Fprint(out, e.Output)
		case "output":
			if e.Test == "" {
				// Package lines: "ok  pkg 1.2s", "FAIL", "--- FAIL" and
				// panics outside tests.
				if !strings.HasPrefix(e.Output, "=== ") && !strings.HasPrefix(e.Output, "PASS") {
					fmt.Fprint(out, e.Output)
				}
				continue
			}
			buffered[k] = append(buffered[k], e.Output)
		case "fail":
			failed = true
			for _, line := range buffered[k] {
				fmt.Fprint(out, line)
			}
			delete(buffered, k)
		case "skip":
			if e.Test != "" {
				reason := "no reason given"
				for _, line := range buffered[k] {
					if m := skipLine.FindStringSubmatch(strings.TrimRight(line, "\n")); m != nil {
						reason = m[1]
					}
				}
				name := strings.TrimPrefix(e.Package, "github.com/identityd/identityd/") + "." + e.Test
				skipped[reason] = append(skipped[reason], name)
			}
			delete(buffered, k)
		case "pass":
			delete(buffered, k)
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(out, "skipreport: %v\n", err)
		return 1
	}
	fmt.Fprintln(out, summary(skipped))
	if failed {
		return 1
	}
	return 0
}

// summary is the one line about skipped tests: each reason with how many
// tests it skipped and the first few of them.
func summary(skipped map[string][]string) string {
	if len(skipped) == 0 {
		return "skipped: nothing"
	}
	reasons := make([]string, 0, len(skipped))
	total := 0
	for r, tests := range skipped {
		reasons = append(reasons, r)
		total += len(tests)
	}
	slices.Sort(reasons)
	parts := make([]string, 0, len(reasons))
	for _, r := range reasons {
		tests := skipped[r]
		slices.Sort(tests)
		names := tests
		more := ""
		if len(names) > 3 {
			names, more = names[:3], fmt.Sprintf(" and %d more", len(tests)-3)
		}
		parts = append(parts, fmt.Sprintf("%q (%d: %s%s)", r, len(tests), strings.Join(names, ", "), more))
	}
	return fmt.Sprintf("skipped %d tests: %s", total, strings.Join(parts, "; "))
}
