// Command review writes the offline review of a change as one pull-request comment: for each
// stage of two synthesized assemblies, the security changes (IAM, security groups, listeners)
// with their verdicts, the replacement guard's verdict on every stack, the cost before, after
// and the difference (each side priced with its own revision's price and usage files), and
// the CDK's template diff. It exits 1 when the guard blocks the change or a revision did not
// synthesize (after writing the comment), 2 on bad arguments.
//
//	review --base BASE.out (--head HEAD.out | --head-error SYNTH.log) [--out review-comment.md]
//	       [--full review-comment-full.md] [--base-prices F --base-usage F --head-prices F --head-usage F]
//	       [--allowlist review-allowlist.json] [--scripts scripts]
package review

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/keelstack/keel/tools/review"
)

var (
	errUsage   = errors.New("usage")
	errBlocked = errors.New("review: the guard blocks this change (a stateful or identity-carrying resource would be replaced or destroyed, a permission or network exposure broadens, or the head has synthesis errors): see the comment; label the pull request allow-replacement or allow-broadening, or add an allowlist entry, if that is intended")
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
	basePrices := fs.String("base-prices", "", "the base revision's tools/cost/prices.json (default: the one built in)")
	baseUsage := fs.String("base-usage", "", "the base revision's tools/cost/usage.json (default: the one built in)")
	headPrices := fs.String("head-prices", "", "the changed revision's tools/cost/prices.json (default: the one built in)")
	headUsage := fs.String("head-usage", "", "the changed revision's tools/cost/usage.json (default: the one built in)")
	allowlist := fs.String("allowlist", "", "security broadenings acknowledged in the repository (review-allowlist.json)")
	full := fs.String("full", "", "also write the review uncut to this file (the artifact the comment points to)")
	fullURL := fs.String("full-url", "", "where the uncut review is kept (the CI run), named where the comment is cut")
	baseError := fs.String("base-error", "", "the base's synth output: it did not synthesize; write the failure comment")
	headError := fs.String("head-error", "", "the head's synth output: it did not synthesize; write the failure comment")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	if *base == "" || (*head == "" && *headError == "" && *baseError == "") {
		return fmt.Errorf("%w: review needs --base and --head (two synthesized assemblies; make review builds them)", errUsage)
	}
	in := review.Inputs{Scripts: *scripts, AllowReplacement: getenv("ALLOW_REPLACEMENT") == "true",
		Acks: review.Acknowledgements{Label: getenv("ALLOW_BROADENING") == "true"}}
	var err error
	if in.Head, err = review.LoadPricing(*headPrices, *headUsage); err != nil {
		return err
	}
	if in.Base, err = review.LoadOlderPricing(*basePrices, *baseUsage, in.Head); err != nil {
		return err
	}
	if *baseError != "" || *headError != "" {
		f, err := review.NewFailure(in.Base, *base, *baseError, *headError)
		if err != nil {
			return err
		}
		f.Base, f.Head = *baseLabel, *headLabel
		if err := write(*out, stdout, f.WriteMarkdown); err != nil {
			return err
		}
		return fmt.Errorf("review: the %s does not synthesize: the comment says why", f.Side)
	}
	if *allowlist != "" {
		if in.Acks.Allowlist, err = review.ReadAllowlist(*allowlist); err != nil {
			return err
		}
	}
	r, err := review.Compare(ctx, in, *base, *head)
	if err != nil {
		return err
	}
	r.Base, r.Head, r.FullURL = *baseLabel, *headLabel, *fullURL
	if err := write(*out, stdout, r.WriteMarkdown); err != nil {
		return err
	}
	if *full != "" {
		if err := write(*full, stdout, r.WriteFull); err != nil {
			return err
		}
	}
	if r.Blocked() {
		return errBlocked
	}
	return nil
}

// write renders into a buffer first, so that a failed render writes nothing, then to the file
// (or standard output when file is "").
func write(file string, stdout io.Writer, render func(io.Writer) error) error {
	var b bytes.Buffer
	if err := render(&b); err != nil {
		return err
	}
	if file == "" {
		_, err := stdout.Write(b.Bytes())
		return err
	}
	return os.WriteFile(file, b.Bytes(), 0o644)
}
