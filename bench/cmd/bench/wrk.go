package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Plan modes, as bench/lua/bench.lua reads them.
const (
	modeStatic = "static" // one fixed request: the cheapest for wrk
	modeOnce   = "once"   // each item once; reuse is counted
	modeCycle  = "cycle"  // the items round robin
	modeChain  = "chain"  // each response feeds the next request
)

// plan is one wrk run's requests.
type plan struct {
	Method  string
	Path    string
	Headers map[string]string
	Body    string // static mode
	// Items, with Template's "{item}" replaced, are the bodies of the
	// dynamic modes.
	Items      []string
	Template   string
	Mode       string
	ChainField string
}

// wrkResult is what bench.lua's done() reports.
type wrkResult struct {
	Requests   int64 `json:"requests"`
	DurationUS int64 `json:"duration_us"`
	Errors     struct {
		Connect int64 `json:"connect"`
		Read    int64 `json:"read"`
		Write   int64 `json:"write"`
		Status  int64 `json:"status"`
		Timeout int64 `json:"timeout"`
	} `json:"errors"`
	Latency struct {
		P50  int64   `json:"p50"`
		P95  int64   `json:"p95"`
		P99  int64   `json:"p99"`
		Max  int64   `json:"max"`
		Mean float64 `json:"mean"`
	} `json:"latency_us"`
	Reused  int64 `json:"reused"`
	Starved int64 `json:"starved"`
}

// errorCount is every failed request: socket errors and statuses >= 400
// (wrk counts 3xx as success; no scenario expects one).
func (r wrkResult) errorCount() int64 {
	e := r.Errors
	return e.Connect + e.Read + e.Write + e.Status + e.Timeout
}

// errorDetail names the non-zero error kinds.
func (r wrkResult) errorDetail() string {
	e := r.Errors
	var parts []string
	for _, kv := range []struct {
		k string
		v int64
	}{{"connect", e.Connect}, {"read", e.Read}, {"write", e.Write}, {"status>=400", e.Status}, {"timeout", e.Timeout}} {
		if kv.v > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", kv.k, kv.v))
		}
	}
	return strings.Join(parts, ", ")
}

// wrkRunner runs wrk with bench.lua.
type wrkRunner struct {
	script  string
	threads int
	dir     string
	seq     int
}

// run drives baseURL with p for d at conns connections.
func (w *wrkRunner) run(ctx context.Context, baseURL string, p plan, conns int, d time.Duration) (wrkResult, error) {
	w.seq++
	base := filepath.Join(w.dir, fmt.Sprintf("run%03d", w.seq))
	var b strings.Builder
	fmt.Fprintf(&b, "method %s\npath %s\n", p.Method, p.Path)
	names := make([]string, 0, len(p.Headers))
	for k := range p.Headers {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Fprintf(&b, "header %s %s\n", k, p.Headers[k])
	}
	mode := p.Mode
	if mode == "" {
		mode = modeStatic
	}
	if mode == modeStatic {
		if p.Body != "" {
			fmt.Fprintf(&b, "body %s\n", p.Body)
		}
	} else {
		items := base + ".items"
		if err := os.WriteFile(items, []byte(strings.Join(p.Items, "\n")+"\n"), 0o600); err != nil {
			return wrkResult{}, fmt.Errorf("write items: %w", err)
		}
		fmt.Fprintf(&b, "items %s\ntemplate %s\nmode %s\n", items, p.Template, mode)
		if p.ChainField != "" {
			fmt.Fprintf(&b, "chain_field %s\n", p.ChainField)
		}
	}
	out := base + ".json"
	fmt.Fprintf(&b, "threads %d\nout %s\n", w.threads, out)
	planFile := base + ".plan"
	if err := os.WriteFile(planFile, []byte(b.String()), 0o600); err != nil {
		return wrkResult{}, fmt.Errorf("write plan: %w", err)
	}
	secs := max(1, int(d.Round(time.Second)/time.Second))
	cmd := exec.CommandContext(ctx, "wrk", "-t", fmt.Sprint(w.threads), "-c", fmt.Sprint(max(conns, w.threads)),
		"-d", fmt.Sprintf("%ds", secs), "--timeout", "60s", "-s", w.script, baseURL)
	cmd.Env = append(os.Environ(), "BENCH_PLAN="+planFile)
	if outp, err := cmd.CombinedOutput(); err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %w\n%s", err, outp)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		return wrkResult{}, fmt.Errorf("read wrk summary: %w", err)
	}
	var r wrkResult
	if err := json.Unmarshal(data, &r); err != nil {
		return wrkResult{}, fmt.Errorf("parse wrk summary %q: %w", data, err)
	}
	return r, nil
}
