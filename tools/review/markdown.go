package review

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/keelstack/keel/tools/cost"
)

// maxDiff bounds one stack's diff in the comment: GitHub refuses comments over 65,536
// characters, and a reviewer reads a long diff locally (make review) anyway.
const maxDiff = 12000

// WriteMarkdown writes the review as one pull-request comment. Template text is data from the
// pull request: it goes only inside code fences longer than any backtick run it contains, so
// it cannot close the fence and inject markdown.
func (r Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## keel review: %s → %s\n\n", r.Base, r.Head)
	b.WriteString("Synthesized offline from both revisions (no AWS credentials): per stage the replacement guard, the monthly cost at the minimum and maximum task count (prices in `tools/cost/prices.json`, usage in `tools/cost/usage.json`), and the template diff.\n\n")
	r.writeBanners(&b)
	if r.replacementBlocked() {
		b.WriteString("**The replacement guard blocks this change**: a stateful or identity-carrying resource would be replaced or destroyed. If that is intended, label the pull request `allow-replacement`.\n\n")
	}
	if slices.ContainsFunc(r.Stages, func(s Stage) bool { return len(s.Errors) > 0 }) {
		b.WriteString("**The head has synthesis errors** (cdk-nag findings or settings errors, listed per stage under Security): `make synth` fails on them.\n\n")
	}
	if r.securityBlocked() {
		b.WriteString("**The security guard blocks this change**: a permission or a network exposure broadens (tables below). If that is intended, label the pull request `allow-broadening`, or add each finding's id with a reason to `review-allowlist.json`.\n\n")
	}
	for _, s := range r.Stages {
		writeStage(&b, s)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeStage(b *strings.Builder, s Stage) {
	fmt.Fprintf(b, "### %s\n\n", s.Name)
	writeStageSecurity(b, s)
	fmt.Fprintf(b, "Cost (USD/month, %s): before %s, after %s, change **%s**\n\n",
		tasks(s.After, s.Before), span(s.Before.MinUSD, s.Before.MaxUSD), span(s.After.MinUSD, s.After.MaxUSD),
		signedSpan(s.After.MinUSD-s.Before.MinUSD, s.After.MaxUSD-s.Before.MaxUSD))
	for _, st := range s.Stacks {
		verdict := "passes"
		if st.Blocked {
			verdict = "**blocks**"
		}
		fmt.Fprintf(b, "Guard on `%s`: %s\n%s\n", st.Name, verdict, fenced(st.Guard))
	}
	if len(s.After.Unpriced) > 0 {
		fmt.Fprintf(b, "Not priced (add them to tools/cost): %s\n\n", strings.Join(s.After.Unpriced, ", "))
	}
	b.WriteString("<details><summary>Cost by line</summary>\n\n")
	fmt.Fprintf(b, "| item | before @%d | after @%d | change | before @%d | after @%d | change |\n|---|--:|--:|--:|--:|--:|--:|\n",
		s.Before.MinTasks, s.After.MinTasks, s.Before.MaxTasks, s.After.MaxTasks)
	for _, c := range s.Cost {
		fmt.Fprintf(b, "| %s | %.2f | %.2f | %s | %.2f | %.2f | %s |\n", c.Item, c.BeforeMin, c.AfterMin, signed(c.DeltaMin()), c.BeforeMax, c.AfterMax, signed(c.DeltaMax()))
	}
	b.WriteString("\n</details>\n\n")
	for _, st := range s.Stacks {
		diff := st.Diff
		if len(diff) > maxDiff {
			diff = diff[:maxDiff] + "\n… (cut: run make review for the whole diff)"
		}
		fmt.Fprintf(b, "<details><summary>Template diff: %s</summary>\n\n%s\n</details>\n\n", st.Name, fenced(diff))
	}
}

// fenced wraps text in a code fence longer than the longest backtick run inside it.
func fenced(text string) string {
	longest, run := 0, 0
	for _, r := range text {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", max(3, longest+1))
	return fence + "\n" + text + "\n" + fence + "\n"
}

func tasks(after, before cost.Estimate) string {
	if after.MinTasks == before.MinTasks && after.MaxTasks == before.MaxTasks {
		return fmt.Sprintf("%d–%d tasks", after.MinTasks, after.MaxTasks)
	}
	return fmt.Sprintf("%d–%d tasks, before %d–%d", after.MinTasks, after.MaxTasks, before.MinTasks, before.MaxTasks)
}

func span(lo, hi float64) string { return fmt.Sprintf("%.2f–%.2f", lo, hi) }

func signedSpan(lo, hi float64) string { return signed(lo) + " / " + signed(hi) }

func signed(v float64) string {
	if v > -0.005 && v < 0.005 {
		return "0.00"
	}
	return fmt.Sprintf("%+.2f", v)
}
