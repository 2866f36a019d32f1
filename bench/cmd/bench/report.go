package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"
)

// row is one measured (or skipped) scenario.
type row struct {
	config   string
	scenario string
	title    string
	conns    int
	res      wrkResult
	rps      float64
	cpuPer1k float64 // server CPU seconds per 1,000 requests
	peakKiB  int64
	idleKiB  int64
	note     string
	err      error
}

func (r *row) addNote(s string) {
	if r.note != "" {
		r.note += "; "
	}
	r.note += s
}

// report gathers the run and writes the Markdown file.
type report struct {
	b          *bench
	started    time.Time
	floor      row   // the mean of floorRuns, the denominator of every ratio
	floorRuns  []row // measured before and after identityd
	rows       []row
	idle       map[string]int64
	skipped    map[string]string
	bcryptRate float64
	bcryptErr  error
	bcryptCPU  float64 // CPU seconds per compare
	elapsed    time.Duration
	loadStart  string // /proc/loadavg before and after the run
	loadEnd    string
	// commitAtStart is read when the run starts, before anything changes.
	commitAtStart string
}

// loadAvg is the 1, 5 and 15 minute load averages: on a shared machine,
// other work competes for the same cores.
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func newReport(b *bench) *report {
	return &report{b: b, started: time.Now().UTC(), idle: map[string]int64{}, skipped: map[string]string{}, loadStart: loadAvg()}
}

func (r *report) add(x row) { r.rows = append(r.rows, x) }

func (r *report) skipConfig(config, why string) {
	logf("%s: skipped: %s", config, why)
	r.skipped[config] = why
}

func (r *report) find(config, scenario string) (row, bool) {
	for _, x := range r.rows {
		if x.config == config && x.scenario == scenario && x.err == nil && x.res.Requests > 0 {
			return x, true
		}
	}
	return row{}, false
}

func us(v int64) string {
	switch {
	case v >= 1_000_000:
		return fmt.Sprintf("%.2f s", float64(v)/1e6)
	case v >= 1000:
		return fmt.Sprintf("%.2f ms", float64(v)/1e3)
	default:
		return fmt.Sprintf("%d µs", v)
	}
}

func mib(kib int64) string { return fmt.Sprintf("%.1f MiB", float64(kib)/1024) }

func cell(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }

func run1(name string, args ...string) string {
	// wrk -v prints its version and exits 1: keep the output either way.
	out, _ := exec.Command(name, args...).CombinedOutput()
	if len(out) == 0 {
		return "unknown"
	}
	return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
}

// commit is the short hash, marked dirty when files other than results
// differ from it, as it was when the run started (and built what it
// measures).
func (r *report) commit() string {
	if r.commitAtStart == "" {
		r.commitAtStart = gitCommit(r.b.root)
	}
	return r.commitAtStart
}

func gitCommit(root string) string {
	c := run1("git", "-C", root, "rev-parse", "--short=12", "HEAD")
	out, _ := exec.Command("git", "-C", root, "status", "--porcelain", "--", ".", ":!bench/results").Output()
	if len(strings.TrimSpace(string(out))) > 0 {
		c += "-dirty"
	}
	return c
}

func (r *report) command() string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "BENCH_") && !strings.Contains(kv, "_URL=") {
			env = append(env, kv)
		} else if strings.HasPrefix(kv, "BENCH_") {
			env = append(env, strings.SplitN(kv, "=", 2)[0]+"=<set>")
		}
	}
	sort.Strings(env)
	cmd := "go run ./bench/cmd/bench"
	if os.Getenv("MAKELEVEL") != "" {
		cmd = "make bench"
	}
	return strings.TrimSpace(strings.Join(env, " ") + " " + cmd)
}

func (r *report) ratio(x row) string {
	if r.floor.rps == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", x.rps/r.floor.rps)
}

func (r *report) markdown() string {
	if r.loadEnd == "" {
		r.loadEnd = loadAvg()
	}
	o := r.b.opts
	var s strings.Builder
	commit := r.commit()
	fmt.Fprintf(&s, "# identityd load benchmark, %s, %s\n\n", r.started.Format("2006-01-02"), commit)
	fmt.Fprintf(&s, "| | |\n| --- | --- |\n")
	fmt.Fprintf(&s, "| commit | `%s` |\n", commit)
	fmt.Fprintf(&s, "| date | %s |\n", r.started.Format(time.RFC3339))
	fmt.Fprintf(&s, "| machine | %s |\n", machine())
	fmt.Fprintf(&s, "| load average (1, 5, 15 min) | %s at start, %s at end (%d cores: above %d, other work shared them) |\n", r.loadStart, r.loadEnd, runtime.NumCPU(), runtime.NumCPU())
	fmt.Fprintf(&s, "| Go | %s |\n", runtime.Version())
	fmt.Fprintf(&s, "| load generator | %s on the same machine over loopback: %d threads, %d connections (%d for the `_big` row, %d for `login`), %s per scenario after a %s warm-up |\n",
		run1("wrk", "-v"), o.threads, o.conns, o.bigConns, r.b.loginConns(), o.duration, o.warmup)
	fmt.Fprintf(&s, "| server | `identityd` built with `-trimpath -ldflags '-s -w'`, APP_ENV=test LOG_LEVEL=warn RATE_LIMIT_ENABLED=false BCRYPT_COST=%d |\n", o.bcryptCost)
	fmt.Fprintf(&s, "| command | `%s` |\n", r.command())
	fmt.Fprintf(&s, "| took | %s |\n\n", r.elapsed.Round(time.Second))

	s.WriteString("## Results\n\n")
	s.WriteString("Errors are socket errors plus responses with status 400 or above. Server CPU is utime+stime of the server process (/proc/PID/stat) over the measured run, per 1,000 requests. Peak RSS is VmHWM during the measured run (reset before it).\n\n")
	s.WriteString("| config | scenario | conns | req/s | × floor | p50 | p95 | p99 | errors | server CPU s / 1k req | peak RSS | notes |\n")
	s.WriteString("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
	for _, x := range r.rows {
		switch {
		case errors.Is(x.err, errUnavailable):
			fmt.Fprintf(&s, "| %s | %s | | | | | | | | | | skipped: %s |\n", x.config, x.scenario, cell(x.err.Error()))
		case x.err != nil:
			fmt.Fprintf(&s, "| %s | %s | | | | | | | | | | FAILED: %s |\n", x.config, x.scenario, cell(truncate(x.err.Error(), 400)))
		default:
			fmt.Fprintf(&s, "| %s | %s | %d | %.0f | %s | %s | %s | %s | %d | %.3f | %s | %s |\n",
				x.config, x.scenario, x.conns, x.rps, r.ratio(x), us(x.res.Latency.P50), us(x.res.Latency.P95), us(x.res.Latency.P99),
				x.res.errorCount(), x.cpuPer1k, mib(x.peakKiB), cell(x.note))
		}
	}
	configs := []string{"memory", "postgres+redis"}
	for _, c := range configs {
		if why, ok := r.skipped[c]; ok {
			fmt.Fprintf(&s, "| %s | (all) | | | | | | | | | | skipped: %s |\n", c, cell(why))
		}
	}
	s.WriteString("\n")
	for _, c := range configs {
		if v, ok := r.idle[c]; ok {
			fmt.Fprintf(&s, "Idle RSS of identityd (%s), 1 s after start: %s. ", c, mib(v))
		}
	}
	fmt.Fprintf(&s, "Idle RSS of the floor: %s.", mib(r.floor.idleKiB))
	if len(r.floorRuns) > 1 {
		var parts []string
		for _, f := range r.floorRuns {
			parts = append(parts, fmt.Sprintf("%.0f", f.rps))
		}
		fmt.Fprintf(&s, " The floor ran before and after identityd (%s req/s); the ratios use their mean, %.0f req/s.", strings.Join(parts, " and "), r.floor.rps)
		lo, hi := r.floorRuns[0].rps, r.floorRuns[len(r.floorRuns)-1].rps
		if lo > hi {
			lo, hi = hi, lo
		}
		if hi > 1.25*lo {
			fmt.Fprintf(&s, "\n\n**Warning:** the machine's speed changed by %.0f %% during the run (the two floor runs differ); rows measured while it changed are not comparable: run again.", (hi/lo-1)*100)
		}
	}
	s.WriteString("\n\n")
	if r.bcryptErr != nil {
		fmt.Fprintf(&s, "Bare bcrypt compare rate: not measured (%v).\n\n", r.bcryptErr)
	} else {
		fmt.Fprintf(&s, "Bare bcrypt compare rate at cost %d, in-process, %d goroutines, no load generator running: %.1f /s, %.1f ms CPU per compare.\n\n",
			o.bcryptCost, runtime.NumCPU(), r.bcryptRate, r.bcryptCPU*1000)
	}
	s.WriteString(r.targets())
	s.WriteString("\n## Reading these numbers\n\n")
	s.WriteString("- The floor is measured before and after identityd because shared virtual machines drift by tens of percent between minutes; the ratios to the floor are the numbers to compare across runs and machines.\n")
	s.WriteString("- wrk runs on the same 2 cores as the server, so every row's throughput is bounded by both; server CPU per 1,000 requests is the server's own cost, independent of that sharing.\n")
	s.WriteString("- In memory, every issued access token stays in the process until it expires (15 min), so peak RSS of the issuing rows grows with the tokens issued so far (warm-up included): the `_big` row's peak is mostly stored tokens, not connections. With PostgreSQL the tokens live in the database.\n")
	s.WriteString("- Rows skipped as 'not available in this build' fill in by themselves once the endpoints exist; profiles and the analysis of misses are in bench/README.md.\n")
	return s.String()
}

// target is one goal of the issue.
type targetCheck struct {
	what     string
	goal     string
	measured string
	met      string
}

func (r *report) targets() string {
	var ts []targetCheck
	atLeast := func(what, goal string, got, want float64, unit string) {
		t := targetCheck{what: what, goal: goal, measured: fmt.Sprintf("%.2f%s", got, unit)}
		if got >= want {
			t.met = "met"
		} else {
			t.met = fmt.Sprintf("**missed** by %.0f %%", (want-got)/want*100)
		}
		ts = append(ts, t)
	}
	atMost := func(what, goal string, got, want float64, unit string) {
		t := targetCheck{what: what, goal: goal, measured: fmt.Sprintf("%.2f%s", got, unit)}
		if got <= want {
			t.met = "met"
		} else {
			t.met = fmt.Sprintf("**missed**: %.0f %% over", (got-want)/want*100)
		}
		ts = append(ts, t)
	}
	notRun := func(what, goal string) {
		ts = append(ts, targetCheck{what: what, goal: goal, measured: "—", met: "not measured"})
	}
	for _, c := range []struct {
		config string
		ccGoal float64
	}{{"memory", 0.4}, {"postgres+redis", 0.15}} {
		ratio := func(scn string, goal float64) {
			what := fmt.Sprintf("%s: %s throughput", c.config, scn)
			g := fmt.Sprintf("≥ %.2f × floor", goal)
			if x, ok := r.find(c.config, scn); ok && r.floor.rps > 0 {
				atLeast(what, g, x.rps/r.floor.rps, goal, " × floor")
			} else {
				notRun(what, g)
			}
		}
		ratio("client_credentials", c.ccGoal)
		if x, ok := r.find(c.config, "client_credentials"); ok {
			atMost(c.config+": client_credentials errors", "0", float64(x.res.errorCount()), 0, "")
			if c.config == "memory" {
				atMost("memory: server CPU per token", "< 100 µs", x.cpuPer1k*1000, 100, " µs")
			}
		}
		ratio("introspect", 0.5)
		if x, ok := r.find(c.config, "login"); ok && r.bcryptRate > 0 {
			atLeast(c.config+": login rate", "≥ 0.95 × bare bcrypt", x.rps/r.bcryptRate, 0.95, " × bcrypt")
		} else {
			notRun(c.config+": login rate", "≥ 0.95 × bare bcrypt")
		}
		if x, ok := r.find(c.config, "login"); ok && r.bcryptCPU > 0 {
			// The same target in CPU, which other work on the machine
			// does not skew: a login may cost at most 1/0.95 compares.
			atMost(c.config+": server CPU per login", "≤ 1.05 × bcrypt compare CPU", x.cpuPer1k/1000/r.bcryptCPU, 1/0.95, " × compare")
		}
		if v, ok := r.idle[c.config]; ok {
			atMost(c.config+": idle RSS", "≤ 30 MiB", float64(v)/1024, 30, " MiB")
		} else {
			notRun(c.config+": idle RSS", "≤ 30 MiB")
		}
		if x, ok := r.find(c.config, "client_credentials_big"); ok {
			atMost(fmt.Sprintf("%s: peak RSS at %d connections", c.config, x.conns), "≤ 100 MiB", float64(x.peakKiB)/1024, 100, " MiB")
		} else {
			notRun(c.config+": peak RSS under many connections", "≤ 100 MiB")
		}
	}
	var s strings.Builder
	s.WriteString("## Targets (issue 7)\n\n| target | goal | measured | result |\n| --- | --- | ---: | --- |\n")
	for _, t := range ts {
		fmt.Fprintf(&s, "| %s | %s | %s | %s |\n", t.what, t.goal, t.measured, t.met)
	}

	// Issue 15: what PostgreSQL and Redis may cost, as throughput against
	// the floor and as server CPU per request against the same flow in
	// memory (the figure other work on the machine skews least).
	ts = nil
	for _, f := range []struct {
		scenario string
		goal     float64
	}{{"introspect", 0.5}, {"client_credentials", 0.3}, {"revoke", 0.15}, {"authorization_code", 0.08}, {"refresh", 0.08}} {
		what := "postgres+redis: " + f.scenario + " throughput"
		g := fmt.Sprintf("≥ %.2f × floor", f.goal)
		if x, ok := r.find("postgres+redis", f.scenario); ok && r.floor.rps > 0 {
			atLeast(what, g, x.rps/r.floor.rps, f.goal, " × floor")
		} else {
			notRun(what, g)
		}
		what = "postgres+redis: " + f.scenario + " server CPU per request"
		g = "≤ 2 × memory"
		pg, okPG := r.find("postgres+redis", f.scenario)
		mem, okMem := r.find("memory", f.scenario)
		if okPG && okMem && mem.cpuPer1k > 0 {
			atMost(what, g, pg.cpuPer1k/mem.cpuPer1k, 2, fmt.Sprintf(" × memory (%.0f vs %.0f µs)", pg.cpuPer1k*1000, mem.cpuPer1k*1000))
		} else {
			notRun(what, g)
		}
	}
	s.WriteString("\n## Targets (issue 15: the cost of PostgreSQL and Redis)\n\n| target | goal | measured | result |\n| --- | --- | ---: | --- |\n")
	for _, t := range ts {
		fmt.Fprintf(&s, "| %s | %s | %s | %s |\n", t.what, t.goal, t.measured, t.met)
	}
	return s.String()
}

// write stores the report as results/<date>-<commit>.md and latest.md.
func (r *report) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("results dir: %w", err)
	}
	md := r.markdown()
	name := filepath.Join(dir, fmt.Sprintf("%s-%s.md", r.started.Format("2006-01-02"), r.commit()))
	for _, p := range []string{name, filepath.Join(dir, "latest.md")} {
		if err := os.WriteFile(p, []byte(md), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", p, err)
		}
	}
	fmt.Println(md)
	logf("wrote %s and latest.md", name)
	return nil
}
