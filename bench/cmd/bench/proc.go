package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// clockTicks is the kernel's USER_HZ, the unit of utime and stime in
// /proc/<pid>/stat.
func clockTicks() float64 {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err == nil {
		if v, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64); err == nil && v > 0 {
			return v
		}
	}
	return 100
}

// procStats reads the accounting of one process, its threads included.
type procStats struct {
	pid   int
	ticks float64
}

// cpuSeconds is utime+stime of the process so far.
func (p procStats) cpuSeconds() (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.pid))
	if err != nil {
		return 0, fmt.Errorf("read stat of %d: %w", p.pid, err)
	}
	// The command name may hold spaces; fields start after its ')'.
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, fmt.Errorf("parse stat of %d: no ')'", p.pid)
	}
	f := strings.Fields(string(data[i+1:]))
	// f[0] is field 3 (state); utime is field 14, stime field 15.
	if len(f) < 13 {
		return 0, fmt.Errorf("parse stat of %d: %d fields", p.pid, len(f))
	}
	utime, err1 := strconv.ParseFloat(f[11], 64)
	stime, err2 := strconv.ParseFloat(f[12], 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("parse stat of %d: utime %q stime %q", p.pid, f[11], f[12])
	}
	return (utime + stime) / p.ticks, nil
}

// statusKiB reads a kB field of /proc/<pid>/status, such as VmRSS or
// VmHWM.
func (p procStats) statusKiB(field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.pid))
	if err != nil {
		return 0, fmt.Errorf("open status of %d: %w", p.pid, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		v, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("parse %s of %d: %w", field, p.pid, err)
		}
		return v, nil
	}
	return 0, fmt.Errorf("status of %d has no %s", p.pid, field)
}

// resetPeak sets VmHWM back to the current RSS (clear_refs value 5, Linux
// 4.0+), so the next VmHWM is the peak of one scenario alone.
func (p procStats) resetPeak() error {
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.pid), []byte("5"), 0); err != nil {
		return fmt.Errorf("reset peak RSS of %d: %w", p.pid, err)
	}
	return nil
}
