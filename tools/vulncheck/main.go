// Command vulncheck reads govulncheck's JSON stream (-format json) on
// standard input and decides the outcome of the check in make lint:
//
//   - a vulnerability whose vulnerable code the project calls, in a module
//     it requires, fails the check (exit 1): upgrade the module;
//   - so does one in the standard library of the Go release that ran
//     govulncheck: raise GOTOOLCHAIN in the Makefile and the go line of
//     go.mod to the release named as fixing it.
//
// A vulnerability in required code that is never called is not reported,
// as govulncheck's own text output does.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
)

type frame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Function string `json:"function"`
}

type message struct {
	OSV *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
	Finding *struct {
		OSV          string   `json:"osv"`
		FixedVersion string   `json:"fixed_version"`
		Trace        []*frame `json:"trace"`
	} `json:"finding"`
}

type called struct {
	id, module, version, fixed string
}

func main() {
	summaries := map[string]string{}
	found := map[string]called{}
	dec := json.NewDecoder(os.Stdin)
	messages := 0
	for {
		var m message
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "vulncheck: reading govulncheck output:", err)
			os.Exit(2)
		}
		messages++
		if m.OSV != nil {
			summaries[m.OSV.ID] = m.OSV.Summary
		}
		f := m.Finding
		if f == nil || len(f.Trace) == 0 || f.Trace[0].Function == "" {
			continue // module or package level: the code is not called
		}
		found[f.OSV] = called{id: f.OSV, module: f.Trace[0].Module, version: f.Trace[0].Version, fixed: f.FixedVersion}
	}
	if messages == 0 {
		fmt.Fprintln(os.Stderr, "vulncheck: govulncheck printed nothing")
		os.Exit(2)
	}
	ids := make([]string, 0, len(found))
	for id := range found {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var modules, stdlib int
	goVersion := ""
	for _, id := range ids {
		c := found[id]
		kind := "module"
		if c.module == "stdlib" {
			kind, stdlib, goVersion = "Go standard library", stdlib+1, c.version
		} else {
			modules++
		}
		fmt.Printf("%s (%s %s %s, fixed in %s): %s\n", id, kind, c.module, c.version, c.fixed, summaries[id])
	}
	if modules > 0 {
		fmt.Printf("govulncheck: %d called vulnerabilities in required modules: upgrade them\n", modules)
	}
	if stdlib > 0 {
		fmt.Printf("govulncheck: %d called vulnerabilities in the Go standard library of %s: raise GOTOOLCHAIN in the Makefile and the go line of go.mod to the Go release named above\n", stdlib, goVersion)
	}
	if modules+stdlib > 0 {
		os.Exit(1)
	}
	fmt.Println("govulncheck: no called vulnerability")
}
