package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keelstack/keel/app/vsync"
	"github.com/keelstack/keel/app/vsync/vsynctest"
)

// A step is one write of a command, as the S3 server sees it.
type step struct {
	name   string
	method string
	key    string // after the case's prefix (a regular expression)
	// setup are rules that bring the command to this step (the delete of a push runs only
	// after its manifest write failed).
	setup []vsynctest.Rule
}

// A fault is what happens to the step. Kill sends SIGKILL once the step was answered.
type fault struct {
	name  string
	kind  vsynctest.Fault
	every bool // every attempt (the SDK's retries included), else only the first
	kill  bool
}

var faults = []fault{
	{name: "response lost after apply", kind: vsynctest.LoseResponse},
	{name: "reset before", kind: vsynctest.ResetBefore, every: true},
	{name: "500", kind: vsynctest.Status500, every: true},
	{name: "503", kind: vsynctest.Status503, every: true},
	{name: "slower than the timeout", kind: vsynctest.HangAfterApply},
	{name: "SIGKILL after the step", kill: true},
}

// install puts the fault on the step's requests; for a kill it returns the rule whose answered
// request the kill waits for.
func (f fault) install(t *testing.T, proxy *vsynctest.FaultProxy, step vsynctest.Rule) (killAfter *vsynctest.Rule) {
	t.Helper()
	if f.kill {
		return &step
	}
	step.Fault = f.kind
	if !f.every {
		step.Nth = 1
	}
	if err := proxy.Add(step); err != nil {
		t.Fatal(err)
	}
	return nil
}

// TestVaultFaults runs push and rotate-passphrase through a fault proxy in front of versitygw,
// one fault on one write step per case, and checks after each: the command's exit status and
// message say what the bucket holds; the deployed token and the passphrase that opens the live
// bundle boot the real service, on a (bundle, generation) pair that belongs together; a service
// started before says stale exactly when a newer generation is live; a failed or killed run
// is finished by running the same command again.
func TestVaultFaults(t *testing.T) {
	b := newFaultBench(t)
	manifestFails := vsynctest.Rule{Method: "PUT", Key: "manifest$", Fault: vsynctest.Status500}
	commands := []struct {
		name  string
		args  []string
		env   []string
		steps []step
	}{
		{"push", []string{"push"}, []string{"VAULT_PASSPHRASE=" + passphrase}, []step{
			{name: "bundle PUT", method: "PUT", key: `v=`},
			{name: "manifest PUT", method: "PUT", key: `manifest$`},
			{name: "latest.meta PUT", method: "PUT", key: `latest\.meta$`},
			{name: "bundle DELETE after a failed manifest PUT", method: "DELETE", key: `v=`, setup: []vsynctest.Rule{manifestFails}},
		}},
		{"rotate-passphrase", []string{"rotate-passphrase"}, []string{"VAULT_PASSPHRASE=" + passphrase, "VAULT_NEW_PASSPHRASE=" + newPass}, []step{
			{name: "bundle PUT", method: "PUT", key: `v=`},
			{name: "manifest PUT", method: "PUT", key: `manifest$`},
			{name: "latest.meta PUT", method: "PUT", key: `latest\.meta$`},
			{name: "DELETE of the older bundle", method: "DELETE", key: `v=`},
		}},
	}
	envFile := writeEnvFile(t, "GEN_2=\""+vaultSecret+"\"\n")
	start := time.Now()
	n := 0
	var ran atomic.Int32
	t.Run("cases", func(t *testing.T) {
		for _, c := range commands {
			for _, s := range c.steps {
				for _, f := range faults {
					n++
					prefix := fmt.Sprintf("faults/%02d/", n)
					t.Run(c.name+"/"+s.name+"/"+f.name, func(t *testing.T) {
						t.Parallel()
						ran.Add(1)
						args := c.args
						if c.name == "push" {
							args = append(args, "--env-file", envFile)
						}
						b.faultCase(t, prefix, args, c.env, s, f)
					})
				}
			}
		}
	})
	t.Logf("%d fault cases in %v", ran.Load(), time.Since(start).Round(time.Second))
}

func (b *faultBench) faultCase(t *testing.T, prefix string, args, env []string, s step, f fault) {
	token := b.seed(t, prefix)
	seeded := b.state(t, prefix)
	serviceEnv := func(pass string) []string {
		return []string{"VSYNC_CONFIG=" + token, "VSYNC_PASSPHRASE=" + pass, "VAULT_KEYS=GEN_1,GEN_2", "FRESHNESS_INTERVAL=100ms", "FRESHNESS_WAIT=3s"}
	}
	before := startReady(t, serviceEnv(passphrase))

	proxy := vsynctest.NewFaultProxy(b.gw.Endpoint)
	defer proxy.Close()
	quoted := regexp.QuoteMeta(prefix)
	for _, r := range s.setup {
		r.Key = "^" + quoted + r.Key
		if err := proxy.Add(r); err != nil {
			t.Fatal(err)
		}
	}
	killAfter := f.install(t, proxy, vsynctest.Rule{Method: s.method, Key: "^" + quoted + s.key})
	res := b.run(t, env, proxy, killAfter, append(args, flags(proxy.URL, prefix)...)...)
	got := b.state(t, prefix)
	said := claim(res)
	live := got.ts != seeded.ts
	complete := live && got.metaGen >= got.gen && (args[0] != "rotate-passphrase" || got.bundles == 1)
	t.Logf("exit %d (%s), live bundle %s gen %d (meta %d, %d bundle versions, opens with the %s passphrase); stderr: %s",
		res.code, said, got.ts, got.gen, got.metaGen, got.bundles, got.openWith, strings.TrimSpace(res.stderr))

	switch said {
	case "complete":
		if !complete {
			t.Errorf("exit 0, but the bucket holds %+v", got)
		}
	case "published":
		if !live || complete {
			t.Errorf("the message says the new generation is live and unfinished, but the bucket holds %+v (seeded %s)", got, seeded.ts)
		}
	case "not published":
		if live {
			t.Errorf("the message says nothing was published, but the manifest names %s (seeded %s)", got.ts, seeded.ts)
		}
	case "killed":
	default:
		t.Errorf("exit %d with a message that does not say what happened: %s", res.code, res.stderr)
	}
	if said != "complete" && said != "killed" && res.code == 0 {
		t.Errorf("exit 0 with a failure message")
	}

	// The service started before reports stale exactly when a newer generation is live.
	wantStatus := map[bool]string{true: "stale", false: "fresh"}[live]
	time.Sleep(150 * time.Millisecond)
	_, beforeBody := before.get("/healthz")
	if beforeBody["status"] != wantStatus {
		t.Errorf("the service booted before reports %v, want %s", beforeBody, wantStatus)
	}
	// The deployed token with the passphrase the operator was told to use boots the service on
	// a consistent pair.
	deployed := passphrase
	if args[0] == "rotate-passphrase" && (live || said == "complete") {
		deployed = newPass
	}
	if want := map[string]string{passphrase: "old", newPass: "new"}[deployed]; got.openWith != want {
		t.Errorf("the live bundle opens with the %q passphrase; the operator was led to deploy the %s one", got.openWith, want)
	}
	after := startReady(t, serviceEnv(deployed))
	opened := after.logLine(t, "vault opened")
	if gen, _ := opened["gen"].(float64); int(gen) != got.gen {
		t.Errorf("the service opened generation %v, the manifest names %s as generation %d", opened["gen"], got.ts, got.gen)
	}
	if sources, _ := opened["sources"].(map[string]any); args[0] == "push" && (sources["GEN_2"] == "vault") != live {
		t.Errorf("the service opened the bundle holding %v, the live bundle is %s (new: %v)", sources, got.ts, live)
	}
	_, afterBody := after.get("/healthz")
	if afterBody["status"] != "fresh" {
		t.Errorf("the service booted after reports %v, want fresh", afterBody)
	}
	rerun := "-"

	// Whatever happened, the same command again finishes the job.
	if said != "complete" {
		proxy.Reset()
		again := b.run(t, env, proxy, nil, append(args, flags(proxy.URL, prefix)...)...)
		final := b.state(t, prefix)
		rerun = fmt.Sprintf("exit %d, gen %d (meta %d)", again.code, final.gen, final.metaGen)
		if again.code != 0 || final.metaGen < final.gen || (args[0] == "rotate-passphrase" && (final.bundles != 1 || final.openWith != "new")) {
			t.Errorf("the re-run: exit %d %s; bucket %+v", again.code, again.stderr, final)
		}
	}
	summary(t, res, said, got, beforeBody["status"], opened["gen"], afterBody["status"], rerun)
}

// summary is one row of the closing note's table (collected from go test -v output).
func summary(t *testing.T, res result, said string, got state, beforeStatus, afterGen any, afterStatus any, rerun string) {
	t.Logf("SUMMARY|%s|%d|%s|bundle gen %d, meta %d, %d bundle versions, opens with %s passphrase|before: %v|after: gen %v %v|%s|%s",
		t.Name(), res.code, said, got.gen, got.metaGen, got.bundles, got.openWith, beforeStatus, afterGen, afterStatus, rerun, firstLine(res.stderr))
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(strings.TrimPrefix(s, "vault: ")), "\n")
	return s
}

// claim is what the command's exit status and message say happened.
func claim(r result) string {
	msg := r.stderr
	switch {
	case r.killed:
		return "killed"
	case r.code == 0:
		return "complete"
	case strings.Contains(msg, "nothing was published"), strings.Contains(msg, "nothing was written"):
		return "not published"
	case strings.Contains(msg, " is current as generation"), strings.Contains(msg, " is live, but"):
		return "published"
	}
	return "unexplained"
}

// TestTokenFaults: the token command reads the manifest with the reader key (its only S3
// request) and writes --out. Under each fault, a token file either keeps its previous content
// or holds the new token, always 0600, and the token in it boots the service.
func TestTokenFaults(t *testing.T) {
	b := newFaultBench(t)
	for i, f := range faults {
		t.Run(f.name, func(t *testing.T) {
			t.Parallel()
			prefix := fmt.Sprintf("token/%02d/", i)
			previous := b.seed(t, prefix)
			out := filepath.Join(t.TempDir(), "token.txt")
			if err := os.WriteFile(out, []byte(previous+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			proxy := vsynctest.NewFaultProxy(b.gw.Endpoint)
			defer proxy.Close()
			killAfter := f.install(t, proxy, vsynctest.Rule{Method: "GET", Key: "^" + regexp.QuoteMeta(prefix) + "manifest$"})
			res := b.run(t, []string{"VAULT_READER_SECRET_ACCESS_KEY=" + readerSecret}, proxy, killAfter,
				append([]string{"token", "--access-key-id", readerKey, "--out", out}, flags(proxy.URL, prefix)...)...)
			noSecrets(t, "vault token --out", res.stdout)
			content, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			fi, _ := os.Stat(out)
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
			}
			token := strings.TrimSpace(string(content))
			changed := token != previous
			t.Logf("exit %d, file changed: %v; stderr: %s", res.code, changed, strings.TrimSpace(res.stderr))
			switch {
			case res.killed:
			case res.code == 0 && !changed:
				t.Errorf("exit 0 but the file still holds the previous token")
			case res.code != 0 && changed:
				t.Errorf("exit %d but the file changed", res.code)
			case res.code != 0 && !strings.Contains(res.stderr, "cannot read"):
				t.Errorf("exit %d with a message that does not say the read failed: %s", res.code, res.stderr)
			}
			if _, err := vsync.DecodeConfig(token); err != nil {
				t.Fatalf("the token file holds no token: %v", err)
			}
			// The token carries the endpoint it was minted for (here the proxy): with the
			// faults gone, it boots the service.
			proxy.Reset()
			startReady(t, []string{"VSYNC_CONFIG=" + token, "VSYNC_PASSPHRASE=" + passphrase, "VAULT_KEYS=GEN_1"})
		})
	}
}
