package bench

import (
	"os"
	"strings"
)

// startupTarget is issue 23's "keel help and keel status --help answer in under 100 ms from
// the built binary".
const startupTarget = 100

// startup times keel's own answers that need no work: the help and a command's flags.
func (b *bench) startup() error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	for _, args := range [][]string{{"help"}, {"status", "--help"}} {
		ms, _, err := b.repeat(func() (float64, float64, error) {
			s, rss, err := b.timed(".", nil, self, args...)
			return s * 1000, rss, err
		})
		if err != nil {
			return err
		}
		t, met := target(ms, startupTarget, true, "< 100 ms")
		b.report.add(figure{Name: "keel " + strings.Join(args, " "), Value: ms, Unit: "ms", Target: t, Met: met, Note: "the built binary, start to exit"})
	}
	return nil
}
