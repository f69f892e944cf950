package status

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keelstack/keel/cmd/internal/awsstage"
)

// Vault compares the vault generation published with the ones the tasks serve.
type Vault struct {
	// Published is <prefix>latest.meta's gen in the vault bucket (vsync-wire: the generation
	// readers use); nil when it could not be read (Note says why).
	Published *int `json:"published,omitempty"`
	// Served are the generations the current deployment's tasks opened (their "vault opened"
	// log line), one per task stream, newest task first.
	Served []int  `json:"served"`
	Note   string `json:"note,omitempty"`
}

// vaultOpened is the service's start-up line (app/internal/server).
const vaultOpened = "vault opened"

func (s *Status) vault(ctx context.Context, st *awsstage.Stage, since time.Time) {
	s.Vault = &Vault{Served: []int{}}
	var notes []string
	for _, err := range []error{s.Vault.served(ctx, st, since), s.Vault.published(ctx, st)} {
		if err != nil {
			notes = append(notes, err.Error())
		}
	}
	s.Vault.Note = strings.Join(notes, "; ")
}

// served reads the "vault opened" lines written since the current deployment started.
func (v *Vault) served(ctx context.Context, st *awsstage.Stage, since time.Time) error {
	group := st.Outputs[awsstage.OutputLogGroup]
	if group == "" {
		return errors.New("served: the stack has no LogGroupName output")
	}
	in := &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(group), StartTime: aws.Int64(since.UnixMilli()),
		FilterPattern: aws.String(fmt.Sprintf("{ $.msg = %q }", vaultOpened))}
	latest := map[string]struct {
		at  int64
		gen int
	}{}
	for {
		page, err := st.Logs.FilterLogEvents(ctx, in)
		if err != nil {
			return fmt.Errorf("served: %w", awsstage.Describe(err, "read log group "+group))
		}
		for _, e := range page.Events {
			var line struct {
				Msg string `json:"msg"`
				Gen *int   `json:"gen"`
			}
			if json.Unmarshal([]byte(aws.ToString(e.Message)), &line) != nil || line.Msg != vaultOpened || line.Gen == nil {
				continue // the pattern again: a local emulator may not apply JSON patterns
			}
			stream, at := aws.ToString(e.LogStreamName), aws.ToInt64(e.Timestamp)
			if at >= latest[stream].at {
				latest[stream] = struct {
					at  int64
					gen int
				}{at, *line.Gen}
			}
		}
		if page.NextToken == nil {
			break
		}
		in.NextToken = page.NextToken
	}
	streams := make([]string, 0, len(latest))
	for k := range latest {
		streams = append(streams, k)
	}
	slices.SortFunc(streams, func(a, b string) int { return int(latest[b].at - latest[a].at) })
	for _, k := range streams {
		v.Served = append(v.Served, latest[k].gen)
	}
	return nil
}

// published reads <prefix>latest.meta through the foundation stack's outputs.
func (v *Vault) published(ctx context.Context, st *awsstage.Stage) error {
	if st.Settings.Secrets.Imported() {
		return errors.New("published: the stage imports its secrets (no foundation stack to find the vault in)")
	}
	names := st.Settings.FoundationNames()
	out, err := st.CloudFormation.DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(names.Stack)})
	if err != nil {
		return fmt.Errorf("published: %w", awsstage.Describe(err, "read stack "+names.Stack))
	}
	outputs := map[string]string{}
	for _, o := range out.Stacks[0].Outputs {
		outputs[aws.ToString(o.OutputKey)] = aws.ToString(o.OutputValue)
	}
	bucket, prefix := outputs["VaultBucket"], outputs["VaultPrefix"]
	obj, err := st.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(prefix + "latest.meta")})
	if err != nil {
		return fmt.Errorf("published: %w", awsstage.Describe(err, "read s3://"+bucket+"/"+prefix+"latest.meta"))
	}
	defer obj.Body.Close()
	var meta struct {
		Gen *int `json:"gen"`
	}
	if err := json.NewDecoder(io.LimitReader(obj.Body, 1<<16)).Decode(&meta); err != nil || meta.Gen == nil {
		return fmt.Errorf("published: s3://%s/%slatest.meta holds no generation", bucket, prefix)
	}
	v.Published = meta.Gen
	return nil
}

// verdict says in a few words whether the tasks serve what is published.
func (v *Vault) verdict() string {
	switch {
	case v.Published == nil || len(v.Served) == 0:
		return "unknown"
	case slices.ContainsFunc(v.Served, func(g int) bool { return g != *v.Published }):
		return "stale: a task serves another generation than the published one; deploy again (make deploy) to roll the tasks"
	}
	return "current"
}
