package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/identityd/identityd/app/apptest"
)

// options are the benchmark's settings, from BENCH_* variables.
type options struct {
	duration    time.Duration
	warmup      time.Duration
	conns       int
	bigConns    int
	threads     int
	bcryptCost  int
	maxItems    int
	only        map[string]bool
	configs     map[string]bool
	results     string
	profiles    string // BENCH_PROFILES: a folder for a CPU profile of each measured run
	databaseURL string
	redisURL    string
	// The scale run's settings.
	scale         bool
	scaleTokens   int
	scaleConns    int
	scaleDuration time.Duration
}

func loadOptions(getenv func(string) string) (options, error) {
	o := options{duration: 8 * time.Second, warmup: 2 * time.Second, conns: 64, bigConns: 256, threads: 2,
		bcryptCost: 10, maxItems: 200_000, results: "bench/results",
		databaseURL: getenv("BENCH_DATABASE_URL"), redisURL: getenv("BENCH_REDIS_URL"),
		scaleTokens: 1_000_000, scaleConns: 16, scaleDuration: 5 * time.Second}
	var errs []error
	dur := func(name string, dst *time.Duration) {
		if v := getenv(name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				errs = append(errs, fmt.Errorf("%s: a duration such as 10s, got %q", name, v))
				return
			}
			*dst = d
		}
	}
	num := func(name string, dst *int, lo int) {
		if v := getenv(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < lo {
				errs = append(errs, fmt.Errorf("%s: an integer of at least %d, got %q", name, lo, v))
				return
			}
			*dst = n
		}
	}
	dur("BENCH_DURATION", &o.duration)
	dur("BENCH_WARMUP", &o.warmup)
	num("BENCH_CONNECTIONS", &o.conns, 1)
	num("BENCH_BIG_CONNECTIONS", &o.bigConns, 1)
	num("BENCH_THREADS", &o.threads, 1)
	num("BENCH_BCRYPT_COST", &o.bcryptCost, 10)
	num("BENCH_MAX_ITEMS", &o.maxItems, 1000)
	num("BENCH_SCALE_TOKENS", &o.scaleTokens, 1000)
	num("BENCH_SCALE_CONNECTIONS", &o.scaleConns, 1)
	dur("BENCH_SCALE_DURATION", &o.scaleDuration)
	if v := getenv("BENCH_RESULTS"); v != "" {
		o.results = v
	}
	o.profiles = getenv("BENCH_PROFILES")
	o.only = nameSet(getenv("BENCH_SCENARIOS"))
	o.configs = nameSet(getenv("BENCH_CONFIGS"))
	for c := range o.configs {
		if c != "memory" && c != "postgres+redis" {
			errs = append(errs, fmt.Errorf("BENCH_CONFIGS: memory and/or postgres+redis, got %q", c))
		}
	}
	return o, errors.Join(errs...)
}

// nameSet splits a comma-separated list; nil for an empty one (everything).
func nameSet(v string) map[string]bool {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	m := map[string]bool{}
	for _, s := range strings.Split(v, ",") {
		m[strings.TrimSpace(s)] = true
	}
	return m
}

// bench is one run of the whole suite.
type bench struct {
	opts        options
	root        string
	tmp         string
	identityd   string
	floor       string
	wrk         *wrkRunner
	ticks       float64
	adminID     string
	adminSecret string
	report      *report
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	opts, err := loadOptions(os.Getenv)
	if err != nil {
		return err
	}
	for _, a := range os.Args[1:] {
		switch a {
		case "-scale", "--scale":
			opts.scale = true
		default:
			return fmt.Errorf("unknown argument %q (the only one is -scale; settings are BENCH_* variables)", a)
		}
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		return errors.New("wrk is not installed: apt-get update && apt-get install -y wrk")
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "identityd-bench-")
	if err != nil {
		return fmt.Errorf("temp dir: %w", err)
	}
	defer os.RemoveAll(tmp)
	b := &bench{opts: opts, root: root, tmp: tmp, ticks: clockTicks(),
		adminID: apptest.AdminClientID, adminSecret: apptest.AdminClientSecret,
		wrk: &wrkRunner{script: filepath.Join(root, "bench", "lua", "bench.lua"), threads: opts.threads, dir: tmp}}
	b.report = newReport(b)
	b.report.commit() // as the tree is now, before the build
	if opts.scale {
		return b.runScale(ctx)
	}
	start := time.Now()
	if err := b.build(ctx); err != nil {
		return err
	}
	b.measureBcrypt()
	if err := b.runFloor(ctx); err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	if b.configSelected("memory") {
		b.runConfig(ctx, "memory", nil)
	}
	if b.configSelected("postgres+redis") {
		b.runPostgres(ctx)
	}
	if err := b.runFloor(ctx); err != nil {
		return fmt.Errorf("floor: %w", err)
	}
	b.report.elapsed = time.Since(start)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	dir := opts.results
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(root, dir)
	}
	return b.report.write(dir)
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

// build compiles identityd the way `make build` does, and the floor.
func (b *bench) build(ctx context.Context) error {
	b.identityd, b.floor = filepath.Join(b.tmp, "identityd"), filepath.Join(b.tmp, "floor")
	for _, t := range []struct{ out, pkg string }{{b.identityd, "./cmd/identityd"}, {b.floor, "./bench/floor"}} {
		cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags", "-s -w", "-o", t.out, t.pkg)
		cmd.Dir = b.root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", t.pkg, err, out)
		}
	}
	return nil
}

// serverEnv is identityd's configuration for the benchmark: the test
// secrets, the bootstrap admin client, no rate limit, warn-level logs.
func (b *bench) serverEnv(extra map[string]string) map[string]string {
	env := apptest.Env(0, map[string]string{
		"LOG_LEVEL":          "warn",
		"RATE_LIMIT_ENABLED": "false",
		"BCRYPT_COST":        strconv.Itoa(b.opts.bcryptCost),
	})
	delete(env, "PORT")
	for k, v := range extra {
		env[k] = v
	}
	return env
}

func (b *bench) selected(name string) bool { return b.opts.only == nil || b.opts.only[name] }

func (b *bench) configSelected(name string) bool {
	return b.opts.configs == nil || b.opts.configs[name]
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// runFloor measures the bare net/http server.
func (b *bench) runFloor(ctx context.Context) error {
	p, err := startProcess(ctx, b.floor, nil, b.ticks)
	if err != nil {
		return err
	}
	defer p.stop()
	time.Sleep(500 * time.Millisecond)
	idle, _ := p.stats.statusKiB("VmRSS")
	pl := formPlan("/oauth/token", basicAuth("floor", "floor-secret"), "grant_type=client_credentials&scope="+benchScope)
	logf("floor: measuring")
	row := b.measure(ctx, p, "floor", "bare net/http floor", work{warm: &pl, main: pl}, b.opts.conns)
	if row.err != nil {
		return row.err
	}
	row.scenario, row.idleKiB = "floor", idle
	b.report.floorRuns = append(b.report.floorRuns, row)
	b.report.add(row)
	mean := row
	mean.rps = 0
	for _, f := range b.report.floorRuns {
		mean.rps += f.rps / float64(len(b.report.floorRuns))
	}
	b.report.floor = mean
	return nil
}

// runConfig starts identityd with env and runs every scenario on it.
func (b *bench) runConfig(ctx context.Context, config string, env map[string]string) {
	var t *target
	defer func() {
		if t != nil {
			if err := t.proc.stop(); err != nil {
				logf("%s: stop: %v", config, err)
			}
		}
	}()
	for _, sc := range scenarios() {
		if ctx.Err() != nil || !b.selected(sc.name) {
			continue
		}
		conns := b.opts.conns
		switch {
		case sc.big:
			conns = b.opts.bigConns
		case sc.cpuBound:
			conns = b.loginConns()
		}
		base := row{config: config, scenario: sc.name, title: sc.title, conns: conns}
		if t == nil || sc.big {
			if t != nil {
				if err := t.proc.stop(); err != nil {
					logf("%s: stop: %v", config, err)
				}
				t = nil
			}
			nt, idle, err := b.startTarget(ctx, config, env)
			if err != nil {
				base.err = err
				b.report.add(base)
				return
			}
			t = nt
			if !sc.big {
				b.report.idle[config] = idle
			}
		}
		logf("%s: %s: preparing", config, sc.name)
		w, err := sc.prepare(ctx, b, t)
		if err != nil {
			base.err = err
			logf("%s: %s: %v", config, sc.name, err)
			b.report.add(base)
			continue
		}
		logf("%s: %s: measuring", config, sc.name)
		r := b.measure(ctx, t.proc, config, sc.title, w, conns)
		r.scenario = sc.name
		if sc.name == "client_credentials" && r.err == nil {
			t.ccRate = r.rps
		}
		b.report.add(r)
	}
}

// startTarget starts identityd, waits a moment, reads its idle RSS and
// makes the shared fixture.
func (b *bench) startTarget(ctx context.Context, config string, env map[string]string) (*target, int64, error) {
	senv := b.serverEnv(env)
	pprofURL := ""
	if b.opts.profiles != "" {
		port, err := freePort()
		if err != nil {
			return nil, 0, err
		}
		senv["PPROF_ADDR"] = fmt.Sprintf("127.0.0.1:%d", port)
		pprofURL = fmt.Sprintf("http://127.0.0.1:%d", port)
	}
	p, err := startProcess(ctx, b.identityd, senv, b.ticks)
	if err != nil {
		return nil, 0, err
	}
	p.pprofURL = pprofURL
	time.Sleep(time.Second)
	idle, err := p.stats.statusKiB("VmRSS")
	if err != nil {
		_ = p.stop()
		return nil, 0, err
	}
	jar, _ := cookiejar.New(nil)
	t := &target{config: config, proc: p, api: newAPI(p.URL, jar)}
	if err := t.setup(ctx, b); err != nil {
		_ = p.stop()
		return nil, 0, err
	}
	return t, idle, nil
}

// measure runs the warm-up, then the measured run with the server's CPU
// time and peak RSS read around it.
func (b *bench) measure(ctx context.Context, p *process, config, title string, w work, conns int) row {
	r := row{config: config, title: title, conns: conns, note: w.note}
	if w.warm != nil && b.opts.warmup > 0 {
		if _, err := b.wrk.run(ctx, p.URL, *w.warm, conns, b.opts.warmup); err != nil {
			r.err = fmt.Errorf("warm-up: %w", err)
			return r
		}
	}
	if err := p.stats.resetPeak(); err != nil {
		r.addNote("peak RSS is since start: " + err.Error())
	}
	cpu0, err := p.stats.cpuSeconds()
	if err != nil {
		r.err = err
		return r
	}
	profiled := b.profile(p, config, title)
	res, err := b.wrk.run(ctx, p.URL, w.main, conns, b.opts.duration)
	<-profiled
	if err != nil {
		r.err = err
		return r
	}
	cpu1, err := p.stats.cpuSeconds()
	if err != nil {
		r.err = err
		return r
	}
	r.peakKiB, _ = p.stats.statusKiB("VmHWM")
	r.res = res
	r.rps = float64(res.Requests) / (float64(res.DurationUS) / 1e6)
	if res.Requests > 0 {
		r.cpuPer1k = (cpu1 - cpu0) / float64(res.Requests) * 1000
	}
	if res.Reused > 0 {
		r.addNote(fmt.Sprintf("%d requests reused an item (list ran out)", res.Reused))
	}
	if res.Starved > 0 {
		r.addNote(fmt.Sprintf("%d requests found no token to rotate", res.Starved))
	}
	if d := res.errorDetail(); d != "" {
		r.addNote("errors: " + d)
	}
	logf("%s: %.0f req/s, p50 %s, errors %d", title, r.rps, us(res.Latency.P50), res.errorCount())
	return r
}

// profile fetches a CPU profile of p during the measured run into
// BENCH_PROFILES, named after the configuration and scenario; the channel
// closes when it is written (at once when profiling is off).
func (b *bench) profile(p *process, config, title string) <-chan struct{} {
	done := make(chan struct{})
	if p.pprofURL == "" {
		close(done)
		return done
	}
	secs := int(b.opts.duration.Seconds()) - 1
	if secs < 1 {
		secs = 1
	}
	name := strings.NewReplacer("+", "-", " ", "_", "/", "_").Replace(config + "-" + title)
	go func() {
		defer close(done)
		if err := os.MkdirAll(b.opts.profiles, 0o755); err != nil {
			logf("profile: %v", err)
			return
		}
		var wg sync.WaitGroup
		// Both over the same seconds: the allocation profile is the delta.
		for kind, ext := range map[string]string{"profile": ".cpu.prof", "allocs": ".allocs.prof"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := fetchProfile(fmt.Sprintf("%s/debug/pprof/%s?seconds=%d", p.pprofURL, kind, secs),
					filepath.Join(b.opts.profiles, name+ext)); err != nil {
					logf("profile: %v", err)
				}
			}()
		}
		wg.Wait()
	}()
	return done
}

func fetchProfile(url, file string) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// machine describes the host from /proc.
func machine() string {
	model := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	mem := "unknown memory"
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
				if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
					mem = fmt.Sprintf("%.1f GiB RAM", kb/(1<<20))
				}
			}
		}
	}
	return fmt.Sprintf("%s, %d cores, %s, %s/%s", model, runtime.NumCPU(), mem, runtime.GOOS, runtime.GOARCH)
}
