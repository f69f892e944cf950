// Command review writes the offline review of a change as one pull-request comment: for each
// stage of two synthesized assemblies, the CDK's template diff of every stack, the replacement
// guard's verdict and the cost before, after and the difference. It exits 1 when the guard
// blocks the change (after writing the comment), 2 on bad arguments.
//
//	review --base BASE.out --head HEAD.out [--out review-comment.md] [--scripts scripts]
package review

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/keelstack/keel/tools/cost"
	"github.com/keelstack/keel/tools/review"
)

var (
	errUsage   = errors.New("usage")
	errBlocked = errors.New("review: the replacement guard blocks this change (a stateful or identity-carrying resource would be replaced or destroyed); label the pull request allow-replacement if that is intended")
)

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("review", flag.ContinueOnError)
	fs.SetOutput(stderr)
	base := fs.String("base", "", "the base revision's synthesized assembly")
	head := fs.String("head", "", "the changed revision's synthesized assembly")
	baseLabel := fs.String("base-label", "base", "what to call the base revision in the comment")
	headLabel := fs.String("head-label", "head", "what to call the changed revision in the comment")
	out := fs.String("out", "", "write the comment to this file instead of standard output")
	scripts := fs.String("scripts", "scripts", "the directory of template-diff.mjs and diff-guard.mjs")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *base == "" || *head == "" {
		return fmt.Errorf("%w: review needs --base and --head (two synthesized assemblies; make review builds them)", errUsage)
	}
	prices, err := cost.DefaultPrices()
	if err != nil {
		return err
	}
	assumptions, err := cost.DefaultAssumptions()
	if err != nil {
		return err
	}
	in := review.Inputs{Scripts: *scripts, Prices: prices, Assumptions: assumptions, AllowReplacement: getenv("ALLOW_REPLACEMENT") == "true"}
	r, err := review.Compare(ctx, in, *base, *head)
	if err != nil {
		return err
	}
	r.Base, r.Head = *baseLabel, *headLabel
	var comment bytes.Buffer
	if err := r.WriteMarkdown(&comment); err != nil {
		return err
	}
	if *out == "" {
		_, err = stdout.Write(comment.Bytes())
	} else {
		err = os.WriteFile(*out, comment.Bytes(), 0o644)
	}
	if err != nil {
		return err
	}
	if r.Blocked() {
		return errBlocked
	}
	return nil
}
