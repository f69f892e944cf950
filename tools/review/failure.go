package review

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/keelstack/keel/tools/cost"
)

// maxError bounds the synth output a failure comment quotes (its end, where the error is).
const maxError = 20000

// Failure is the comment when a revision does not synthesize: it replaces the previous
// review on the pull request, whose figures are stale from then on, with the error.
type Failure struct {
	Base, Head string
	Side       string // the revision that failed: "head" or "base"
	Output     string // its synth's output
	// Before are the base's figures when it synthesized: for reference only.
	Before []cost.Estimate
}

// NewFailure reads the synth output of the side that failed (baseError or headError, one of
// them set) and, when only the head failed, prices the base assembly for reference.
func NewFailure(pricing Pricing, base, baseError, headError string) (Failure, error) {
	f := Failure{Side: "head"}
	file := headError
	if baseError != "" {
		f.Side, file = "base", baseError
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return Failure{}, fmt.Errorf("review: the %s's synth output: %w", f.Side, err)
	}
	f.Output = strings.TrimSpace(string(b))
	if f.Side == "head" {
		f.Before, _ = pricing.assembly(base) // a base that cannot be priced is left out
	}
	return f, nil
}

// assembly prices every stage of an assembly.
func (p Pricing) assembly(dir string) ([]cost.Estimate, error) {
	stages, err := cost.ReadAssembly(dir)
	if err != nil {
		return nil, err
	}
	var out []cost.Estimate
	for _, s := range stages {
		e, err := p.estimate(s, s.Name)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// WriteMarkdown writes the failure as the pull request's review comment.
func (f Failure) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## keel review: %s → %s\n\n", f.Base, f.Head)
	fmt.Fprintf(&b, "> [!CAUTION]\n> **The %s does not synthesize**, so there is no review of this revision: no guard verdict, no security section, no cost. Figures from earlier reviews of this pull request are **stale**. The error:\n\n", f.Side)
	out := f.Output
	if len(out) > maxError {
		out = "… (the start is cut)\n" + strings.ToValidUTF8(out[len(out)-maxError:], "")
	}
	b.WriteString(fenced(out))
	if len(f.Before) > 0 {
		fmt.Fprintf(&b, "\nThe base (%s) alone, for reference (USD/month at the minimum and maximum task count):\n\n| stage | base |\n|---|--:|\n", f.Base)
		for _, e := range f.Before {
			fmt.Fprintf(&b, "| %s | %s |\n", e.Stage, span(e.MinUSD, e.MaxUSD))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
