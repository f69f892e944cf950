package config

import (
	"log/slog"
	"strings"
	"testing"
	"time"
)

func env(kv map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := kv[k]; return v, ok }
}

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.ListenAddr() != ":8080" || c.ProbeAddr() != "127.0.0.1:8080" {
		t.Errorf("listen %q probe %q, want every interface, probed on loopback", c.ListenAddr(), c.ProbeAddr())
	}
	if c.Port != 8080 || c.LogLevel != slog.LevelInfo || c.BootTimeout != 10*time.Second || c.ShutdownBudget != 20*time.Second ||
		c.DrainDelay != 0 || c.FreshnessInterval != 30*time.Second || strings.Join(c.Keys, ",") != "DATABASE_URL" {
		t.Fatalf("defaults = %+v", c)
	}
}

func TestOverrides(t *testing.T) {
	c, err := Load(env(map[string]string{"PORT": "9000", "LOG_LEVEL": "debug", "SHUTDOWN_BUDGET": "40s", "DRAIN_DELAY": "2s", "VAULT_KEYS": "A, B,,C"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 9000 || c.LogLevel != slog.LevelDebug || c.ShutdownBudget != 40*time.Second || c.DrainDelay != 2*time.Second || strings.Join(c.Keys, ",") != "A,B,C" {
		t.Fatalf("overrides = %+v", c)
	}
}

func TestErrorsNameVariableValueAndFix(t *testing.T) {
	for _, tt := range []struct {
		kv   map[string]string
		want string
	}{
		{map[string]string{"PORT": "http"}, `PORT="http": use a whole number`},
		{map[string]string{"PORT": "70000"}, `PORT="70000": use a TCP port`},
		{map[string]string{"BOOT_TIMEOUT": "10"}, `BOOT_TIMEOUT="10": use a Go duration`},
		{map[string]string{"SHUTDOWN_BUDGET": "-1s"}, `SHUTDOWN_BUDGET="-1s": use a positive duration`},
		{map[string]string{"DRAIN_DELAY": "30s"}, `DRAIN_DELAY="30s": use 0 or a duration below SHUTDOWN_BUDGET`},
		{map[string]string{"LOG_LEVEL": "loud"}, `LOG_LEVEL="loud": use debug, info, warn or error`},
		{map[string]string{"LISTEN_HOST": "localhost"}, `LISTEN_HOST="localhost": use an IP address such as 127.0.0.1`},
		{map[string]string{"LISTEN_HOST": "127.0.0.1:80"}, `LISTEN_HOST="127.0.0.1:80": use an IP address`},
	} {
		if _, err := Load(env(tt.kv)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want %q", tt.kv, err, tt.want)
		}
	}
}

func TestListenHost(t *testing.T) {
	for host, want := range map[string]string{"127.0.0.1": "127.0.0.1:9000", "::1": "[::1]:9000", " 0.0.0.0 ": "0.0.0.0:9000"} {
		c, err := Load(env(map[string]string{"LISTEN_HOST": host, "PORT": "9000"}))
		if err != nil || c.ListenAddr() != want || c.ProbeAddr() != want {
			t.Errorf("LISTEN_HOST=%q: listen %q probe %q (%v), want %s", host, c.ListenAddr(), c.ProbeAddr(), err, want)
		}
	}
}

func TestAdmission(t *testing.T) {
	c, err := Load(env(map[string]string{"ADMISSION_MAX_INFLIGHT": "16", "ADMISSION_BACKLOG": "0", "ADMISSION_MAX_WAIT": "0s", "REQUEST_TIMEOUT": "2s"}))
	if err != nil || c.Admission != (Admission{MaxInflight: 16, RequestTimeout: 2 * time.Second}) {
		t.Fatalf("admission = %+v (%v)", c.Admission, err)
	}
	for kv, want := range map[[2]string]string{
		{"ADMISSION_MAX_INFLIGHT", "-1"}: `ADMISSION_MAX_INFLIGHT="-1": use a positive number`,
		{"ADMISSION_BACKLOG", "-3"}:      `ADMISSION_BACKLOG="-3": use 0`,
		{"ADMISSION_MAX_WAIT", "0s"}:     `ADMISSION_MAX_WAIT="0s": use a positive duration`,
		{"REQUEST_TIMEOUT", "20s"}:       `REQUEST_TIMEOUT="20s": use a positive duration up to 15s`,
		{"REQUEST_TIMEOUT", "0s"}:        `REQUEST_TIMEOUT="0s"`,
	} {
		if _, err := Load(env(map[string]string{kv[0]: kv[1]})); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s=%s: error %v, want %q", kv[0], kv[1], err, want)
		}
	}
}
