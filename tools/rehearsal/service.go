package rehearsal

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// poll is how often the modelled scheduler looks at its tasks (ECS polling, 7: ε, Silent).
const poll = 50 * time.Millisecond

// service is the ECS service scheduler's view: tasks, their health, and how they stop.
type service struct {
	plan    Plan
	clock   clock
	tl      *timeline
	lb      *balancer
	alarms  *alarms
	secrets func(*Revision) []string
	logDir  string

	mu       sync.Mutex
	tasks    []*task // not yet STOPPED
	seq      int
	killed   int
	stopping sync.WaitGroup
	phase    atomic.Value
}

func (s *service) setPhase(p string) {
	s.phase.Store(p)
	s.tl.add("deployment", "", p, "")
}

func (s *service) currentPhase() string {
	p, _ := s.phase.Load().(string)
	return p
}

// start launches a task of rev and registers it in target group g.
func (s *service) start(rev *Revision, g int) error {
	s.mu.Lock()
	s.seq++
	id := fmt.Sprintf("%s-%d", rev.Name, s.seq)
	s.mu.Unlock()
	tk, err := launch(id, rev, s.plan, s.secrets(rev), s.logDir)
	if err != nil {
		return err
	}
	s.tl.add("task", id, "RUNNING", "pid "+fmt.Sprint(tk.cmd.Process.Pid)+" version "+rev.Name)
	tk.startChecks(s.plan.ContainerCheck, s.clock, s.tl)
	tk.target = s.lb.register(g, tk)
	s.mu.Lock()
	s.tasks = append(s.tasks, tk)
	s.mu.Unlock()
	return nil
}

// healthy is ECS's view: the essential container's check HEALTHY (when it has one) and the
// target healthy in its target group (1.3, DC).
func (s *service) healthy(tk *task) bool {
	if s.plan.ContainerCheck != nil && tk.containerState() != containerHealthy {
		return false
	}
	return s.lb.stateOf(tk.target) == stateHealthy
}

// failing is a task ECS replaces: its essential container exited, or, once the grace period
// is over, its target or container check is unhealthy (1.4, CS: the grace period ignores
// failures only; an essential-container exit stops the task at once).
func (s *service) failing(tk *task) (string, bool) {
	if tk.isExited() {
		return "essential container exited (" + tk.exitCode() + ")", true
	}
	if time.Since(tk.started) < s.clock.scale(s.plan.GracePeriod) {
		return "", false
	}
	if s.lb.stateOf(tk.target) == stateUnhealthy {
		return "target failed the load balancer health check", true
	}
	if tk.containerState() == containerUnhealthy {
		return "container health check UNHEALTHY", true
	}
	return "", false
}

// active returns the tasks not stopping, of rev (nil: every revision) or of the others.
func (s *service) active(rev *Revision, same bool) []*task {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*task
	for _, tk := range s.tasks {
		tk.mu.Lock()
		stopping := tk.stopping
		tk.mu.Unlock()
		if !stopping && (rev == nil || (tk.rev == rev) == same) {
			out = append(out, tk)
		}
	}
	return out
}

// count returns the tasks not yet STOPPED: an old task holds its share of the maximum percent
// until it has stopped (1.2, Inferred).
func (s *service) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.tasks)
}

// stop runs ECS's stop sequence in the background: deregister (DEACTIVATING; target
// draining), wait for the load balancer to report it unused (the whole deregistration delay,
// 2.3), STOPPING: SIGTERM, SIGKILL after the stop timeout (2.1, 2.2), then STOPPED.
func (s *service) stop(tk *task, reason string) {
	tk.mu.Lock()
	if tk.stopping {
		tk.mu.Unlock()
		return
	}
	tk.stopping = true
	tk.mu.Unlock()
	s.tl.add("task", tk.id, "DEACTIVATING", reason)
	s.stopping.Add(1)
	go func() {
		defer s.stopping.Done()
		<-s.lb.deregister(tk.target)
		s.tl.add("task", tk.id, "STOPPING", "SIGTERM")
		killed := tk.terminate(s.plan.StopTimeout)
		detail := tk.exitCode()
		if killed {
			detail = fmt.Sprintf("SIGKILL after the stop timeout (%v): %s", s.plan.StopTimeout, detail)
			s.mu.Lock()
			s.killed++
			s.mu.Unlock()
		}
		s.mu.Lock()
		for i, x := range s.tasks {
			if x == tk {
				s.tasks = append(s.tasks[:i:i], s.tasks[i+1:]...)
				break
			}
		}
		s.mu.Unlock()
		s.tl.add("task", tk.id, "STOPPED", detail)
	}()
}

// markHealthy records a task's first healthy moment; it reports whether this is the first.
func (s *service) markHealthy(tk *task) bool {
	tk.mu.Lock()
	defer tk.mu.Unlock()
	if !tk.healthyAt.IsZero() {
		return false
	}
	tk.healthyAt = time.Now()
	return true
}

// killAll ends every task at once (interrupt or error cleanup).
func (s *service) killAll() {
	s.mu.Lock()
	tasks := append([]*task(nil), s.tasks...)
	s.mu.Unlock()
	for _, tk := range tasks {
		tk.kill()
	}
}
