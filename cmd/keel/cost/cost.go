// Command cost prints the monthly cost of each stage of a synthesized cloud assembly, from
// the price table and usage assumptions in tools/cost: a table per stage, or JSON.
//
//	cost [--assembly cdk.out] [--stage dev] [--usage FILE] [--json]
package cost

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/keelstack/keel/tools/cost"
)

var errUsage = errors.New("usage")

func run(_ context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("cost", flag.ContinueOnError)
	fs.SetOutput(stderr)
	assembly := fs.String("assembly", "cdk.out", "the synthesized cloud assembly (make synth)")
	stage := fs.String("stage", "", "price only this stage")
	usagePath := fs.String("usage", "", "usage assumptions instead of tools/cost/usage.json")
	asJSON := fs.Bool("json", false, "print JSON instead of tables")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%w: %v", errUsage, err)
	}
	estimates, err := Estimates(*assembly, *stage, *usagePath)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(estimates)
	}
	for _, e := range estimates {
		if err := cost.WriteTable(stdout, e); err != nil {
			return err
		}
		fmt.Fprintln(stdout)
	}
	return nil
}

// Estimates prices the stages of an assembly (one stage when stage is set).
func Estimates(assembly, stage, usagePath string) ([]cost.Estimate, error) {
	prices, err := cost.DefaultPrices()
	if err != nil {
		return nil, err
	}
	assumptions, err := cost.ReadAssumptions(usagePath)
	if err != nil {
		return nil, err
	}
	stages, err := cost.ReadAssembly(assembly)
	if err != nil {
		return nil, err
	}
	var out []cost.Estimate
	for _, s := range stages {
		if stage != "" && s.Name != stage {
			continue
		}
		u, err := assumptions.For(s.Name)
		if err != nil {
			return nil, err
		}
		e, err := cost.Of(s, u, prices)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no stage %q in %s", errUsage, stage, assembly)
	}
	return out, nil
}
