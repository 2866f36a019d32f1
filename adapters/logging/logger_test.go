package logging_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/identityd/identityd/adapters/logging"
)

func lines(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), "not a JSON line: %s", sc.Text())
		out = append(out, m)
	}
	require.NoError(t, sc.Err())
	return out
}

func TestParseLevel(t *testing.T) {
	tests := []struct {
		give string
		want slog.Level
	}{
		{"", slog.LevelInfo},
		{"debug", slog.LevelDebug},
		{"info", slog.LevelInfo},
		{"warn", slog.LevelWarn},
		{"warning", slog.LevelWarn},
		{"ERROR", slog.LevelError},
		{" Info ", slog.LevelInfo},
	}
	for _, tt := range tests {
		t.Run(tt.give, func(t *testing.T) {
			got, err := logging.ParseLevel(tt.give)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseLevelRejectsUnknown(t *testing.T) {
	_, err := logging.ParseLevel("verbose")
	require.ErrorIs(t, err, logging.ErrInvalidLevel)
	assert.Contains(t, err.Error(), `"verbose"`)
	assert.Contains(t, err.Error(), "debug, info, warn or error")

	_, _, err = logging.New(logging.Options{Level: "trace"}, &bytes.Buffer{})
	assert.ErrorIs(t, err, logging.ErrInvalidLevel)
}

func TestNewWritesJSONLinesToStdout(t *testing.T) {
	tests := []struct {
		giveLevel string
		wantMsgs  []string
	}{
		{"debug", []string{"d", "i", "w", "e"}},
		{"info", []string{"i", "w", "e"}},
		{"warn", []string{"w", "e"}},
		{"error", []string{"e"}},
	}
	for _, tt := range tests {
		t.Run(tt.giveLevel, func(t *testing.T) {
			var stdout bytes.Buffer
			log, closer, err := logging.New(logging.Options{Level: tt.giveLevel}, &stdout)
			require.NoError(t, err)
			log.Debug("d")
			log.Info("i", "request_id", "r1")
			log.Warn("w")
			log.Error("e")
			require.NoError(t, closer.Close())

			var got []string
			for _, l := range lines(t, stdout.Bytes()) {
				got = append(got, l["msg"].(string))
				assert.Contains(t, l, "time")
				assert.Contains(t, l, "level")
			}
			assert.Equal(t, tt.wantMsgs, got)
		})
	}
}

func TestNewAlsoWritesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs", "identityd.log")
	var stdout bytes.Buffer
	log, closer, err := logging.New(logging.Options{File: path}, &stdout)
	require.NoError(t, err)
	log.Info("started", "port", 8080)
	require.NoError(t, closer.Close())

	file, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, stdout.String(), string(file))
	got := lines(t, file)
	require.Len(t, got, 1)
	assert.Equal(t, "started", got[0]["msg"])
	assert.InDelta(t, 8080, got[0]["port"], 0)
}

func TestNewRotatesTheFileBySize(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "identityd.log")
	log, closer, err := logging.New(logging.Options{File: path, MaxSizeMB: 1, MaxBackups: 2}, &bytes.Buffer{})
	require.NoError(t, err)
	payload := strings.Repeat("x", 1024)
	for range 1500 { // about 1.5 MiB
		log.Info("filler", "payload", payload)
	}
	require.NoError(t, closer.Close())

	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(entries), 2, "the file was rotated into a backup")
	info, err := os.Stat(path)
	require.NoError(t, err)
	assert.LessOrEqual(t, info.Size(), int64(1<<20))
}

func TestNewReportsABadFile(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "not-a-dir")
	require.NoError(t, os.WriteFile(blocker, nil, 0o600))

	_, _, err := logging.New(logging.Options{File: filepath.Join(blocker, "x.log")}, &bytes.Buffer{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "log file")
}

func BenchmarkInfo(b *testing.B) {
	var buf bytes.Buffer
	log, _, err := logging.New(logging.Options{}, &buf)
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		log.Info("request", "method", "GET", "route", "/api/scopes/{id}", "status", 200)
	}
}
