package settings

import (
	"fmt"
	"strings"
)

// fargateMemory lists the memory sizes (MiB) Fargate offers for each CPU size (units).
var fargateMemory = map[int][]int{
	256:   {512, 1024, 2048},
	512:   steps(1024, 4096, 1024),
	1024:  steps(2048, 8192, 1024),
	2048:  steps(4096, 16384, 1024),
	4096:  steps(8192, 30720, 1024),
	8192:  steps(16384, 61440, 4096),
	16384: steps(32768, 122880, 8192),
}

func steps(from, to, step int) []int {
	var out []int
	for m := from; m <= to; m += step {
		out = append(out, m)
	}
	return out
}

func describeMemory(mems []int) string {
	if len(mems) <= 3 {
		parts := make([]string, len(mems))
		for i, m := range mems {
			parts[i] = fmt.Sprint(m)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprintf("%d to %d in steps of %d", mems[0], mems[len(mems)-1], mems[1]-mems[0])
}
