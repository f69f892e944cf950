package bench

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// cpuQuota holds a process to a share of one CPU the way Fargate holds a task to its vCPU:
// a CFS bandwidth limit (cpu.cfs_quota_us over cpu.cfs_period_us) on its control group.
type cpuQuota struct{ dir string }

// cgroupCPU is where cgroup v1's cpu controller is mounted.
const cgroupCPU = "/sys/fs/cgroup/cpu"

// cfsPeriodMicros is the quota's period. Fargate's is the kernel's default, 100 ms; a shorter
// one lets a small quota (the kernel's least is 1 ms a period) run in shorter slices, so that
// throttling does not dominate the latencies measured.
const cfsPeriodMicros = 16_000

// newCPUQuota makes a control group limited to vcpu CPUs. It needs root and cgroup v1's cpu
// controller; the error says so when the machine has neither.
func newCPUQuota(name string, vcpu float64) (*cpuQuota, error) {
	dir := filepath.Join(cgroupCPU, name)
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cpu quota: %w (the capacity bench needs root and cgroup v1's cpu controller at %s to hold the server to a task's vCPU)", err, cgroupCPU)
	}
	q := &cpuQuota{dir: dir}
	err := errors.Join(
		os.WriteFile(filepath.Join(dir, "cpu.cfs_period_us"), []byte(strconv.Itoa(cfsPeriodMicros)), 0o644),
		os.WriteFile(filepath.Join(dir, "cpu.cfs_quota_us"), []byte(strconv.Itoa(int(vcpu*cfsPeriodMicros))), 0o644),
	)
	if err != nil {
		q.remove()
		return nil, fmt.Errorf("cpu quota: %w", err)
	}
	return q, nil
}

// add moves a process (all its threads) into the group.
func (q *cpuQuota) add(pid int) error {
	if err := os.WriteFile(filepath.Join(q.dir, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("cpu quota: add process %d: %w", pid, err)
	}
	return nil
}

// remove deletes the group; the kernel refuses while a process is still in it.
func (q *cpuQuota) remove() { _ = os.Remove(q.dir) }
