package vsynctest_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/keelstack/keel/app/vsync"
	"github.com/keelstack/keel/app/vsync/vsynctest"
)

func TestFaultProxy(t *testing.T) {
	srv := vsynctest.StartS3Server(t)
	direct := srv.Store()
	ctx := context.Background()
	exists := func(t *testing.T, key string) bool {
		t.Helper()
		_, _, err := direct.GetObject(ctx, key)
		if err != nil && !errors.Is(err, vsync.ErrObjectNotFound) {
			t.Fatalf("direct GET %s: %v", key, err)
		}
		return err == nil
	}
	createOnly := vsync.Condition{IfNoneMatch: true}

	cases := []struct {
		name    string
		rule    vsynctest.Rule
		timeout time.Duration
		// what the client sees and what the server holds afterwards
		wantErr     error // nil: success; errAny: some error
		wantApplied bool
		wantFired   int
	}{
		{"pass", vsynctest.Rule{Method: "PUT", Key: `^nothing$`, Fault: vsynctest.Status500}, 0, nil, true, 0},
		// The SDK retries the lost attempt; the create-only retry then finds the object the
		// first attempt wrote: the exact scenario a writer must survive.
		{"lose response", vsynctest.Rule{Method: "PUT", Key: `obj$`, Nth: 1, Fault: vsynctest.LoseResponse}, 0, vsync.ErrPreconditionFailed, true, 1},
		{"hang after apply", vsynctest.Rule{Method: "PUT", Key: `obj$`, Nth: 1, Fault: vsynctest.HangAfterApply}, 300 * time.Millisecond, vsync.ErrPreconditionFailed, true, 1},
		{"reset before, every attempt", vsynctest.Rule{Method: "PUT", Key: `obj$`, Fault: vsynctest.ResetBefore}, 0, errAny, false, 3},
		{"500 every attempt", vsynctest.Rule{Method: "PUT", Key: `obj$`, Fault: vsynctest.Status500}, 0, errAny, false, 3},
		{"503 once, retried", vsynctest.Rule{Method: "PUT", Key: `obj$`, Nth: 1, Fault: vsynctest.Status503}, 0, nil, true, 1},
		{"delay past the timeout", vsynctest.Rule{Method: "PUT", Key: `obj$`, Fault: vsynctest.Delay, Delay: time.Minute}, 200 * time.Millisecond, errAny, false, 3},
		{"delay within the timeout", vsynctest.Rule{Method: "PUT", Key: `obj$`, Nth: 1, Fault: vsynctest.Delay, Delay: 50 * time.Millisecond}, 0, nil, true, 1},
		{"second match only", vsynctest.Rule{Method: "PUT", Key: `obj$`, Nth: 2, Fault: vsynctest.Status500}, 0, nil, true, 0},
		{"other method untouched", vsynctest.Rule{Method: "DELETE", Key: `obj$`, Fault: vsynctest.ResetBefore}, 0, nil, true, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			proxy, via := vsynctest.StartFaultProxy(t, srv)
			if err := proxy.Add(tc.rule); err != nil {
				t.Fatal(err)
			}
			store := via.Store()
			if tc.timeout > 0 {
				store = via.StoreWithTimeout(tc.timeout)
			}
			key := "proxy/" + t.Name() + "/obj"
			err := store.PutObject(ctx, key, []byte("body"), createOnly)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("PutObject: %v, want success", err)
			case errors.Is(tc.wantErr, errAny) && err == nil:
				t.Fatal("PutObject succeeded, want an error")
			case tc.wantErr != nil && !errors.Is(tc.wantErr, errAny) && !errors.Is(err, tc.wantErr):
				t.Fatalf("PutObject: %v, want %v", err, tc.wantErr)
			}
			if got := exists(t, key); got != tc.wantApplied {
				t.Fatalf("object stored = %v, want %v (client saw %v)", got, tc.wantApplied, err)
			}
			if got := proxy.Fired(tc.rule.Fault); got != tc.wantFired && tc.rule.Fault != vsynctest.Pass {
				t.Fatalf("fault %v fired %d times, want %d; log %+v", tc.rule.Fault, got, tc.wantFired, proxy.Log())
			}
		})
	}

	t.Run("read through the proxy", func(t *testing.T) {
		proxy, via := vsynctest.StartFaultProxy(t, srv)
		if err := direct.PutObject(ctx, "proxy/read", []byte("abc"), vsync.Condition{}); err != nil {
			t.Fatal(err)
		}
		b, err := via.Store().Fetch(ctx, "proxy/read")
		if err != nil || string(b) != "abc" {
			t.Fatalf("Fetch = %q, %v", b, err)
		}
		if log := proxy.Log(); len(log) != 1 || log[0].Method != http.MethodGet || log[0].Key != "proxy/read" || log[0].Status != 200 {
			t.Fatalf("log = %+v", log)
		}
	})
	t.Run("bad rule", func(t *testing.T) {
		proxy, _ := vsynctest.StartFaultProxy(t, srv)
		if err := proxy.Add(vsynctest.Rule{Key: "("}); err == nil {
			t.Fatal("an invalid key pattern was accepted")
		}
	})
}

var errAny = errors.New("any error")
