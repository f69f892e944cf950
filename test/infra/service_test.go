package infra

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keelstack/keel/infra/settings"
)

// container returns the only container definition of a stage's task definition.
func container(t *testing.T, tp template) map[string]any {
	t.Helper()
	defs := tp.props(t, "AWS::ECS::TaskDefinition")["ContainerDefinitions"].([]any)
	if len(defs) != 1 {
		t.Fatalf("%d containers, want 1", len(defs))
	}
	return defs[0].(map[string]any)
}

func forEachStage(t *testing.T, f func(t *testing.T, s settings.Stage, tp template)) {
	a := app(t)
	for _, name := range settings.Names {
		t.Run(name, func(t *testing.T) { f(t, a.built[name].Settings, a.templates[name]) })
	}
}

func TestContainer(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		c := container(t, tp)
		for key, want := range map[string]any{
			"ReadonlyRootFilesystem": true,
			"User":                   "65532:65532",
			"Essential":              true,
			"StopTimeout":            float64(s.Drain.StopTimeoutSeconds),
		} {
			if c[key] != want {
				t.Errorf("%s = %v, want %v", key, c[key], want)
			}
		}
		// Exec form: a one-element command would get CMD-SHELL, and the image has no shell.
		if got := jsonOf(get(c, "HealthCheck", "Command")); got != `["CMD","/server","healthcheck"]` {
			t.Errorf("health check command = %s", got)
		}
		if got := jsonOf(get(c, "PortMappings")); got != fmt.Sprintf(`[{"ContainerPort":%d,"Protocol":"tcp"}]`, s.App.Port) {
			t.Errorf("port mappings = %s", got)
		}
		logs := get(c, "LogConfiguration").(map[string]any)
		if logs["LogDriver"] != "awslogs" || get(logs, "Options", "mode") != "non-blocking" || get(logs, "Options", "max-buffer-size") == nil {
			t.Errorf("log configuration = %s, want awslogs in non-blocking mode with a buffer", jsonOf(logs))
		}
		if got := jsonOf(get(logs, "Options", "awslogs-group")); !strings.Contains(got, `"Ref":"Logs`) {
			t.Errorf("logs go to %s, want the stage's log group", got)
		}
		task := tp.props(t, "AWS::ECS::TaskDefinition")
		wantArch := map[bool]string{true: "ARM64", false: "X86_64"}[s.Task.ARM64]
		if get(task, "RuntimePlatform", "CpuArchitecture") != wantArch || task["Cpu"] != fmt.Sprint(s.Task.CPU) || task["Memory"] != fmt.Sprint(s.Task.MemoryMiB) {
			t.Errorf("task = %s cpu %v memory %v, want %s %d %d", jsonOf(task["RuntimePlatform"]), task["Cpu"], task["Memory"], wantArch, s.Task.CPU, s.Task.MemoryMiB)
		}
		mountList, _ := get(c, "MountPoints").([]any)
		if mounts := len(mountList); s.Task.ECSExec && mounts != 3 || !s.Task.ECSExec && mounts != 0 {
			t.Errorf("ECS Exec %v with mounts %s, want 3 scratch mounts with it and none without", s.Task.ECSExec, jsonOf(mountList))
		}
	})
}

func TestSecretsOnlyInSecrets(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		c := container(t, tp)
		config, passphrase := serviceSecretRefs(s)
		want := fmt.Sprintf(`[{"Name":"VSYNC_CONFIG","ValueFrom":%s},{"Name":"VSYNC_PASSPHRASE","ValueFrom":%s}]`, config, passphrase)
		if got := jsonOf(c["Secrets"]); got != want {
			t.Errorf("Secrets = %s\nwant %s", got, want)
		}
		for _, env := range c["Environment"].([]any) {
			if name := get(env, "Name").(string); strings.HasPrefix(name, "VSYNC") {
				t.Errorf("%s is in Environment: secrets must come through Secrets only", name)
			}
		}
		if strings.Contains(jsonOf(tp), "vsync-cfg-v1:") {
			t.Error("the template contains a config blob")
		}
	})
}

func TestDrainChain(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		c := container(t, tp)
		env := map[string]string{}
		for _, e := range c["Environment"].([]any) {
			env[get(e, "Name").(string)], _ = get(e, "Value").(string) // DB_HOST is a GetAtt
		}
		// The app parses it with time.ParseDuration.
		if budget := (time.Duration(s.Drain.ShutdownBudgetSeconds) * time.Second).String(); env["SHUTDOWN_BUDGET"] != budget {
			t.Errorf("SHUTDOWN_BUDGET = %q, want %s", env["SHUTDOWN_BUDGET"], budget)
		}
		stop := c["StopTimeout"].(float64)
		if float64(s.Drain.ShutdownBudgetSeconds+settings.DrainMarginSeconds) > stop || stop > settings.MaxStopTimeoutSeconds {
			t.Errorf("drain budget %d s + margin does not fit the stop timeout %v s (<= %d)", s.Drain.ShutdownBudgetSeconds, stop, settings.MaxStopTimeoutSeconds)
		}
		for _, k := range []string{"PORT", "LOG_LEVEL", "BOOT_TIMEOUT", "FRESHNESS_INTERVAL"} {
			if env[k] == "" {
				t.Errorf("container environment lacks %s", k)
			}
		}
	})
}

func TestDeployment(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		svc := tp.props(t, "AWS::ECS::Service")
		dc := svc["DeploymentConfiguration"].(map[string]any)
		if jsonOf(dc["DeploymentCircuitBreaker"]) != `{"Enable":true,"Rollback":true}` || dc["MinimumHealthyPercent"] != 100.0 || dc["MaximumPercent"] != 200.0 {
			t.Errorf("deployment configuration = %s", jsonOf(dc))
		}
		alarms := dc["Alarms"].(map[string]any)
		names := jsonOf(alarms["AlarmNames"])
		if alarms["Enable"] != true || alarms["Rollback"] != true || !strings.Contains(names, `"Ref":"AlarmsTarget5xxRate`) || !strings.Contains(names, `"Ref":"AlarmsTargetP99`) || !strings.Contains(names, `"Ref":"AlarmsUnhealthyHosts`) {
			t.Errorf("deployment alarms = %s, want the target 5xx rate, p99 and unhealthy hosts with rollback", jsonOf(alarms))
		}
		if _, ok := svc["DesiredCount"]; ok {
			t.Error("DesiredCount is in the template: every deploy would reset a scaled-out service")
		}
		if svc["HealthCheckGracePeriodSeconds"] != float64(s.HealthCheck.GracePeriodSeconds) || svc["EnableExecuteCommand"] != s.Task.ECSExec {
			t.Errorf("grace %v exec %v", svc["HealthCheckGracePeriodSeconds"], svc["EnableExecuteCommand"])
		}
		wantIP := map[bool]string{true: "ENABLED", false: "DISABLED"}[s.Network.PublicTasks]
		if got := get(svc, "NetworkConfiguration", "AwsvpcConfiguration", "AssignPublicIp"); got != wantIP {
			t.Errorf("AssignPublicIp = %v, want %s", got, wantIP)
		}
	})
}

func TestScaling(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		target := tp.props(t, "AWS::ApplicationAutoScaling::ScalableTarget")
		if target["MinCapacity"] != float64(s.Scaling.MinTasks) || target["MaxCapacity"] != float64(s.Scaling.MaxTasks) {
			t.Errorf("capacity %v..%v, want %d..%d", target["MinCapacity"], target["MaxCapacity"], s.Scaling.MinTasks, s.Scaling.MaxTasks)
		}
		var metrics []string
		for _, p := range tp.resources("AWS::ApplicationAutoScaling::ScalingPolicy") {
			cfg := get(p, "Properties", "TargetTrackingScalingPolicyConfiguration")
			metrics = append(metrics, fmt.Sprintf("%v=%v", get(cfg, "PredefinedMetricSpecification", "PredefinedMetricType"), get(cfg, "TargetValue")))
		}
		slices.Sort(metrics)
		want := []string{
			fmt.Sprintf("ALBRequestCountPerTarget=%v", float64(s.Scaling.RequestsPerTargetFor(s.Task.CPU))),
		}
		if s.Deployment.Progressive() { // one per target group: they swap roles on every deployment
			want = append(want, want[0])
		}
		want = append(want,
			fmt.Sprintf("ECSServiceAverageCPUUtilization=%d", s.Scaling.CPUPercent),
			fmt.Sprintf("ECSServiceAverageMemoryUtilization=%d", s.Scaling.MemoryPercent),
		)
		if !slices.Equal(metrics, want) {
			t.Errorf("scaling policies = %v, want %v", metrics, want)
		}
		if labels := jsonOf(tp.resources("AWS::ApplicationAutoScaling::ScalingPolicy")); s.Deployment.Progressive() != strings.Contains(labels, "DeliveryAlternateTargetGroup") {
			t.Errorf("progressive %v, but request scaling on the alternate target group is %v", s.Deployment.Progressive(), !s.Deployment.Progressive())
		}
	})
}

func TestCluster(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		want := map[bool]string{true: "enabled", false: "disabled"}[s.Task.ContainerInsights]
		if got := jsonOf(tp.props(t, "AWS::ECS::Cluster")["ClusterSettings"]); got != fmt.Sprintf(`[{"Name":"containerInsights","Value":%q}]`, want) {
			t.Errorf("cluster settings = %s, want container insights %s", got, want)
		}
	})
}
