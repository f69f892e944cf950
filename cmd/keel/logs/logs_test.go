package logs

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/keelstack/keel/cmd/internal/awstest"
)

// syncBuffer is written by the command while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func logs(t *testing.T, args ...string) string {
	t.Helper()
	var out, errOut bytes.Buffer
	if err := Run(context.Background(), append(args, "--cdk-json", "../../../cdk.json"), nil, &out, &errOut); err != nil {
		t.Fatalf("keel logs %v: %v\n%s", args, err, errOut.String())
	}
	return out.String()
}

func TestLogsOfSeededStage(t *testing.T) {
	srv := awstest.Start(t)
	srv.Seed(t, "dev")

	all := logs(t, "dev", "--since", "5m")
	for _, want := range []string{
		"INFO  request duration_ms=3.2 method=GET path=/api/v1/items request_id=req-old-1 status=200  [task-old]",
		`ERROR vault refresh failed error="s3: timeout" request_id=req-new-2  [task-new]`,
		"-     plain text line from app/app/task-new  [task-new]",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("keel logs dev does not show %q:\n%s", want, all)
		}
	}
	if n := strings.Count(all, "\n"); n != 8 {
		t.Errorf("keel logs dev printed %d lines, want the 8 seeded:\n%s", n, all)
	}
	if got := logs(t, "dev", "--since", "90s"); strings.Contains(got, "req-old") || !strings.Contains(got, "req-new") {
		t.Errorf("--since 90s shows lines of 2 minutes ago or misses the last minute's:\n%s", got)
	}
	if got := logs(t, "dev", "--level", "error"); strings.Count(got, "\n") != 2 || strings.Contains(got, "INFO") {
		t.Errorf("--level error, want the 2 ERROR lines:\n%s", got)
	}
	if got := logs(t, "dev", "--request-id", "req-new-1"); strings.Count(got, "\n") != 1 || !strings.Contains(got, "request_id=req-new-1") {
		t.Errorf("--request-id req-new-1, want its one line:\n%s", got)
	}
	if got := logs(t, "dev", "--filter", `"timeout"`); strings.Count(got, "\n") != 2 {
		t.Errorf(`--filter '"timeout"', want the 2 lines with timeout:`+"\n%s", got)
	}
	raw := logs(t, "dev", "--json", "--level", "INFO")
	for _, l := range strings.Split(strings.TrimSpace(raw), "\n") {
		if !strings.HasPrefix(l, `{"time":`) {
			t.Errorf("--json printed %q, want the service's JSON line as written", l)
		}
	}
}

// TestLogsFollowAcrossTaskReplacement: --follow picks up a new task's stream that appears while
// it runs, and ends cleanly on Ctrl-C.
func TestLogsFollowAcrossTaskReplacement(t *testing.T) {
	srv := awstest.Start(t)
	seeded := srv.Seed(t, "dev")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, []string{"dev", "--follow", "--interval", "100ms", "--cdk-json", "../../../cdk.json"}, nil, &out, &errOut)
	}()
	waitFor(t, &out, "req-new-2")

	cfg, err := config.LoadDefaultConfig(context.Background(), config.WithRegion(awstest.Region))
	if err != nil {
		t.Fatal(err)
	}
	client := cloudwatchlogs.NewFromConfig(cfg)
	stream := "app/app/task-replacement"
	if _, err := client.CreateLogStream(context.Background(), &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String(seeded.LogGroup), LogStreamName: aws.String(stream)}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutLogEvents(context.Background(), &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String(seeded.LogGroup), LogStreamName: aws.String(stream),
		LogEvents: []logtypes.InputLogEvent{{Timestamp: aws.Int64(time.Now().UnixMilli()), Message: aws.String(`{"level":"INFO","msg":"serving","version":"v2"}`)}}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, &out, "INFO  serving version=v2  [task-replacement]")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("--follow ended on Ctrl-C with %v, want a clean end", err)
	}
	if n := strings.Count(out.String(), "req-new-2"); n != 1 {
		t.Errorf("--follow printed a line %d times:\n%s", n, out.String())
	}
}

func waitFor(t *testing.T, out *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q within 10s:\n%s", want, out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
