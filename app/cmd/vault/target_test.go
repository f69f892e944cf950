package main

import (
	"io"
	"strings"
	"testing"
)

func TestTargetEnvironmentFallbacks(t *testing.T) {
	base := map[string]string{"VAULT_BUCKET": "b", "VAULT_PREFIX": "p/", "VAULT_SALT": "0123456789abcdef"}
	parse := func(env map[string]string, args ...string) (target, error) {
		fs := newFlags("test", io.Discard)
		var tg target
		tg.register(fs, func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		if err := fs.Parse(args); err != nil {
			return tg, err
		}
		return tg, tg.check()
	}
	with := func(k, v string) map[string]string {
		m := map[string]string{k: v}
		for a, b := range base {
			m[a] = b
		}
		return m
	}
	if tg, err := parse(base); err != nil || tg.iterations != 600_000 || tg.timeout != defaultTimeout {
		t.Errorf("defaults: %+v %v", tg, err)
	}
	if tg, err := parse(with("VAULT_ITERATIONS", "700000")); err != nil || tg.iterations != 700_000 {
		t.Errorf("VAULT_ITERATIONS: %d %v", tg.iterations, err)
	}
	if tg, err := parse(with("VAULT_ITERATIONS", "700000"), "--iterations", "800000"); err != nil || tg.iterations != 800_000 {
		t.Errorf("the flag wins over VAULT_ITERATIONS: %d %v", tg.iterations, err)
	}
	if _, err := parse(with("VAULT_ITERATIONS", "lots")); err == nil || !strings.Contains(err.Error(), "VAULT_ITERATIONS=lots is not a whole number") {
		t.Errorf("a bad VAULT_ITERATIONS: %v", err)
	}
	if tg, err := parse(with("VAULT_TIMEOUT", "2s")); err != nil || tg.timeout.String() != "2s" {
		t.Errorf("VAULT_TIMEOUT: %v %v", tg.timeout, err)
	}
	if _, err := parse(with("VAULT_TIMEOUT", "soon")); err == nil || !strings.Contains(err.Error(), "VAULT_TIMEOUT=soon") {
		t.Errorf("a bad VAULT_TIMEOUT: %v", err)
	}
}
