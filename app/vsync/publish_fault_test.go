package vsync_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keelstack/keel/app/vsync"
	"github.com/keelstack/keel/app/vsync/vsynctest"
)

// genRelease is a release that names its own generation, so that an open can check that
// the bundle it got belongs with the generation it reports.
func genRelease(gen int) vsync.Release {
	return vsync.Release{KV: map[string]string{"GEN": strconv.Itoa(gen), "DATABASE_URL": secretVal}}
}

// faultAttemptTimeout is the client's per-attempt timeout in the fault suite: a held
// response outlives it.
const faultAttemptTimeout = 700 * time.Millisecond

type faultCase struct {
	step  string // the write the fault hits
	fault string
	rules []vsynctest.Rule
	want  string // "published", "not published", "not published, leftover", "published, meta behind"
}

// faultCases builds, for each write of Publish, each fault. A fault on every attempt
// defeats the SDK's retries; a fault on the first attempt lets a retry of an applied write
// meet its own result (412 on a conditional put), which is what a writer must see through.
func faultCases() []faultCase {
	writes := []struct {
		step, method, key string
		// what each class of fault leaves
		lost, failed string
		extra        []vsynctest.Rule // faults that make the step run
	}{
		{"bundle PUT", "PUT", `/v=[^/]+$`, "published", "not published", nil},
		{"manifest PUT", "PUT", `/manifest$`, "published", "not published", nil},
		{"latest.meta PUT", "PUT", `/latest\.meta$`, "published", "published, meta behind", nil},
		// The delete runs when the manifest write fails: every manifest PUT answers 500.
		{"bundle DELETE", "DELETE", `/v=[^/]+$`, "not published", "not published, leftover",
			[]vsynctest.Rule{{Method: "PUT", Key: `/manifest$`, Fault: vsynctest.Status500}}},
	}
	faults := []struct {
		name  string
		fault vsynctest.Fault
		nth   int
		lost  bool // the server applied the write
	}{
		{"response lost after apply (first attempt)", vsynctest.LoseResponse, 1, true},
		{"response lost after apply (every attempt)", vsynctest.LoseResponse, 0, true},
		{"reset before forwarding (every attempt)", vsynctest.ResetBefore, 0, false},
		{"500 (every attempt)", vsynctest.Status500, 0, false},
		{"503 (every attempt)", vsynctest.Status503, 0, false},
		{"503 (first attempt, retried)", vsynctest.Status503, 1, true},
		{"response held past the client timeout (first attempt)", vsynctest.HangAfterApply, 1, true},
	}
	var cases []faultCase
	for _, w := range writes {
		for _, f := range faults {
			want := w.failed
			if f.lost {
				want = w.lost
			}
			if w.step == "bundle DELETE" && f.fault == vsynctest.LoseResponse && f.nth == 0 {
				want = "not published" // applied; S3 answers a repeated delete with 204 too
			}
			rules := append([]vsynctest.Rule{{Method: w.method, Key: w.key, Nth: f.nth, Fault: f.fault}}, w.extra...)
			cases = append(cases, faultCase{step: w.step, fault: f.name, rules: rules, want: want})
		}
	}
	return cases
}

// TestPublishFaults publishes generation 2 over generation 1 through the fault proxy, for
// each write and each fault, then checks with a direct client that the vault opens with the
// same key, that the opened bundle is the one of the opened generation, that the freshness
// check agrees, and that what Publish reported is what the store holds.
func TestPublishFaults(t *testing.T) {
	srv := vsynctest.StartS3Server(t)
	direct := srv.Store()
	ctx := context.Background()
	var table strings.Builder
	for i, tc := range faultCases() {
		name := tc.step + "/" + tc.fault
		t.Run(name, func(t *testing.T) {
			cfg := srv.Config(fmt.Sprintf("fault/%d/", i), "fault", testSalt, testIter)
			first, err := vsync.Publish(ctx, direct, cfg, testPass, genRelease(1), time.Now(), lowFloor)
			if err != nil {
				t.Fatal(err)
			}
			proxy, via := vsynctest.StartFaultProxy(t, srv)
			for _, r := range tc.rules {
				if err := proxy.Add(r); err != nil {
					t.Fatal(err)
				}
			}
			p, err := vsync.Publish(ctx, via.StoreWithTimeout(faultAttemptTimeout), cfg, testPass, genRelease(2), time.Now().Add(time.Hour), lowFloor)
			if proxy.Fired(tc.rules[0].Fault) == 0 {
				t.Fatalf("the fault never fired; proxy log %+v", proxy.Log())
			}
			got := outcomeOf(t, p, err)
			if err != nil {
				noLeak(t, "Publish error", err.Error())
			}
			for _, note := range p.Recovered {
				noLeak(t, "Publish note", note)
			}
			if got != tc.want {
				t.Fatalf("outcome %q, want %q (err %v)", got, tc.want, err)
			}
			checkStored(t, ctx, srv, cfg, first, p, err)
			fmt.Fprintf(&table, "| %s | %s | %s | %s |\n", tc.step, tc.fault, got, firstLine(err, p))
		})
	}
	t.Logf("fault table (%s):\n| write | fault | outcome | reported |\n|---|---|---|---|\n%s", srv.Name, table.String())
}

// outcomeOf names what Publish reported.
func outcomeOf(t *testing.T, p vsync.Published, err error) string {
	t.Helper()
	var pe *vsync.PublishError
	switch {
	case err == nil:
		if p.Generation != 2 {
			t.Fatalf("success reported for generation %d", p.Generation)
		}
		return "published"
	case !errors.As(err, &pe):
		t.Fatalf("Publish failed with an untyped error after it started writing: %v", err)
	case errors.Is(err, vsync.ErrNotPublished) && pe.Leftover != "":
		return "not published, leftover"
	case errors.Is(err, vsync.ErrNotPublished):
		return "not published"
	case errors.Is(err, vsync.ErrPublishedMetaBehind):
		return "published, meta behind"
	}
	return "unknown"
}

// checkStored opens the vault directly and checks it against what Publish reported.
func checkStored(t *testing.T, ctx context.Context, srv *vsynctest.S3Server, cfg vsync.Config, first, p vsync.Published, perr error) {
	t.Helper()
	c, err := vsync.OpenWith(ctx, mustBlob(t, cfg), testPass, vsync.WithWarnings(func(string) {}))
	if err != nil {
		t.Fatalf("the vault no longer opens with the same key: %v", err)
	}
	defer c.Close()
	if v, _ := c.GetEnv("GEN"); v != strconv.Itoa(c.Generation()) {
		t.Fatalf("opened the bundle of generation %s paired with generation %d", v, c.Generation())
	}
	remote, err := c.RemoteGeneration(ctx)
	if err != nil || remote != int64(c.Generation()) {
		t.Fatalf("RemoteGeneration = %d, %v right after opening generation %d", remote, err, c.Generation())
	}
	store := srv.Store()
	manifest, _, err := store.GetObject(ctx, cfg.Prefix+"manifest")
	if err != nil {
		t.Fatal(err)
	}
	ts, _ := vsync.ParseManifest(manifest)
	var pe *vsync.PublishError
	errors.As(perr, &pe)
	switch {
	case perr == nil:
		if ts != p.TS || c.Generation() != 2 {
			t.Fatalf("reported published %s gen 2, store names %s gen %d", p.TS, ts, c.Generation())
		}
		if meta := metaGen(t, ctx, store, cfg); meta != 2 {
			t.Fatalf("reported published, latest.meta holds %d", meta)
		}
	case errors.Is(perr, vsync.ErrNotPublished):
		if ts != first.TS || c.Generation() != 1 {
			t.Fatalf("reported not published, store names %s gen %d", ts, c.Generation())
		}
		_, _, err := store.GetObject(ctx, cfg.Prefix+"v="+pe.Attempt.TS)
		if left := err == nil; left != (pe.Leftover != "") {
			t.Fatalf("attempted bundle present=%v, Leftover=%q", left, pe.Leftover)
		}
	case errors.Is(perr, vsync.ErrPublishedMetaBehind):
		if ts != pe.Attempt.TS || c.Generation() != 2 {
			t.Fatalf("reported current with meta behind, store names %s gen %d", ts, c.Generation())
		}
		if meta := metaGen(t, ctx, store, cfg); meta != 1 {
			t.Fatalf("reported meta behind, latest.meta holds %d", meta)
		}
	}
}

func metaGen(t *testing.T, ctx context.Context, store *vsync.S3Store, cfg vsync.Config) int {
	t.Helper()
	b, _, err := store.GetObject(ctx, cfg.Prefix+"latest.meta")
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Gen int }
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m.Gen
}

func firstLine(err error, p vsync.Published) string {
	if err == nil {
		if len(p.Recovered) > 0 {
			return "success; recovered: " + strings.Join(p.Recovered, "; ")
		}
		return "success"
	}
	return err.Error()
}
