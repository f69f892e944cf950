// Package status is `keel status STAGE`: the stage's stack and its last event, the ECS service's
// deployments (strategy, phase, traffic share, task counts, failed tasks and why they stopped),
// the images serving, target health, the stage's alarms in ALARM and the dashboard, in one
// read-only look.
package status

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	cftypes "github.com/aws/aws-sdk-go-v2/service/cloudformation/types"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/keelstack/keel/cmd/internal/awsstage"
	"github.com/keelstack/keel/cmd/internal/cli"
)

// Run is `keel status STAGE [--json]`.
func Run(ctx context.Context, args []string, _ func(string) string, stdout, stderr io.Writer) error {
	fs := cli.NewFlagSet("status", "keel status STAGE [--json]", "The stage's stack, deployments, tasks, targets and alarms (read-only).", stderr)
	asJSON := fs.Bool("json", false, "print the status as JSON (for scripts) instead of a table")
	cdkJSON := awsstage.SettingsFlag(fs)
	stage, err := cli.Parse(fs, args)
	if stage == "" || err != nil {
		return err
	}
	st, err := awsstage.Open(ctx, *cdkJSON, stage)
	if err != nil {
		return err
	}
	s, err := collect(ctx, st)
	if err != nil {
		return err
	}
	if *asJSON {
		return cli.JSON(stdout, s)
	}
	return s.write(stdout)
}

// Status is what `keel status` reports.
type Status struct {
	Stage         string       `json:"stage"`
	Region        string       `json:"region"`
	Stack         string       `json:"stack"`
	StackStatus   string       `json:"stack_status"`
	StackUpdated  time.Time    `json:"stack_updated"`
	LastEvent     string       `json:"last_event,omitempty"`
	URL           string       `json:"url,omitempty"`
	Dashboard     string       `json:"dashboard,omitempty"`
	Service       string       `json:"service"`
	Strategy      string       `json:"strategy"`
	Desired       int32        `json:"desired"`
	Running       int32        `json:"running"`
	Pending       int32        `json:"pending"`
	Deployments   []Deployment `json:"deployments"`
	InProgress    []Phase      `json:"in_progress,omitempty"`
	Traffic       []Weight     `json:"traffic,omitempty"`
	Targets       []Target     `json:"targets"`
	StoppedTasks  []Stopped    `json:"stopped_tasks,omitempty"`
	AlarmsInAlarm []Alarm      `json:"alarms_in_alarm"`
	Vault         *Vault       `json:"vault"`
}

// Deployment is one of the service's current deployments (ECS keeps the primary and the ones
// it is replacing).
type Deployment struct {
	ID             string    `json:"id"`
	Status         string    `json:"status"`
	Rollout        string    `json:"rollout"`
	Reason         string    `json:"reason,omitempty"`
	TaskDefinition string    `json:"task_definition"`
	Image          string    `json:"image,omitempty"`
	Desired        int32     `json:"desired"`
	Running        int32     `json:"running"`
	Pending        int32     `json:"pending"`
	Failed         int32     `json:"failed"`
	Created        time.Time `json:"created"`
}

// Phase is an unfinished service deployment's lifecycle stage (ECS service deployments).
type Phase struct {
	ARN      string `json:"arn"`
	Status   string `json:"status"`
	Stage    string `json:"lifecycle_stage,omitempty"`
	Strategy string `json:"strategy,omitempty"`
}

// Weight is a target group's share of production traffic (the listener rule's weights).
type Weight struct {
	TargetGroup string `json:"target_group"`
	Weight      int32  `json:"weight"`
}

// Target is one registered target's health.
type Target struct {
	TargetGroup string `json:"target_group"`
	ID          string `json:"id"`
	State       string `json:"state"`
	Reason      string `json:"reason,omitempty"`
}

// Stopped is a recently stopped task and why it stopped.
type Stopped struct {
	Task           string    `json:"task"`
	TaskDefinition string    `json:"task_definition"`
	Reason         string    `json:"reason"`
	Stopped        time.Time `json:"stopped"`
}

// Alarm is one of the stage's alarms in ALARM.
type Alarm struct {
	Name   string    `json:"name"`
	Reason string    `json:"reason"`
	Since  time.Time `json:"since"`
}

func collect(ctx context.Context, st *awsstage.Stage) (*Status, error) {
	s := &Status{Stage: st.Name, Region: st.Region, Stack: st.StackName, StackStatus: string(st.Stack.StackStatus),
		StackUpdated: aws.ToTime(st.Stack.LastUpdatedTime), URL: st.Outputs[awsstage.OutputURL], Dashboard: dashboard(st)}
	if s.StackUpdated.IsZero() {
		s.StackUpdated = aws.ToTime(st.Stack.CreationTime)
	}
	steps := []func(context.Context, *awsstage.Stage) error{
		s.lastEvent, s.service, s.phases, s.traffic, s.alarms,
	}
	for _, step := range steps {
		if err := step(ctx, st); err != nil {
			return nil, err
		}
	}
	s.vault(ctx, st, s.oldestDeployment())
	return s, nil
}

// oldestDeployment is when the oldest of the service's current deployments started: every
// task serving now started after it.
func (s *Status) oldestDeployment() time.Time {
	oldest := time.Now()
	for _, d := range s.Deployments {
		if !d.Created.IsZero() && d.Created.Before(oldest) {
			oldest = d.Created
		}
	}
	return oldest.Add(-time.Minute)
}

func dashboard(st *awsstage.Stage) string {
	if u := st.Outputs[awsstage.OutputDashboardURL]; u != "" {
		return u
	}
	if n := st.Outputs[awsstage.OutputDashboardName]; n != "" {
		return "https://" + st.Region + ".console.aws.amazon.com/cloudwatch/home?region=" + st.Region + "#dashboards:name=" + n
	}
	return ""
}

func (s *Status) lastEvent(ctx context.Context, st *awsstage.Stage) error {
	out, err := st.CloudFormation.DescribeStackEvents(ctx, &cloudformation.DescribeStackEventsInput{StackName: aws.String(st.StackName)})
	if err != nil {
		return awsstage.Describe(err, "read the events of "+st.StackName)
	}
	if len(out.StackEvents) > 0 {
		s.LastEvent = event(out.StackEvents[0])
	}
	return nil
}

func event(e cftypes.StackEvent) string {
	line := aws.ToTime(e.Timestamp).UTC().Format(time.RFC3339) + " " + aws.ToString(e.LogicalResourceId) + " " + string(e.ResourceStatus)
	if r := aws.ToString(e.ResourceStatusReason); r != "" {
		line += ": " + r
	}
	return line
}

func (s *Status) service(ctx context.Context, st *awsstage.Stage) error {
	svc, err := st.Service(ctx)
	if err != nil {
		return err
	}
	s.Service, s.Desired, s.Running, s.Pending = aws.ToString(svc.ServiceName), svc.DesiredCount, svc.RunningCount, svc.PendingCount
	s.Strategy = string(ecstypes.DeploymentStrategyRolling)
	if svc.DeploymentConfiguration != nil && svc.DeploymentConfiguration.Strategy != "" {
		s.Strategy = string(svc.DeploymentConfiguration.Strategy)
	}
	for _, d := range svc.Deployments {
		s.Deployments = append(s.Deployments, Deployment{ID: aws.ToString(d.Id), Status: aws.ToString(d.Status), Rollout: string(d.RolloutState),
			Reason: aws.ToString(d.RolloutStateReason), TaskDefinition: shortARN(aws.ToString(d.TaskDefinition)), Image: image(ctx, st, aws.ToString(d.TaskDefinition)),
			Desired: d.DesiredCount, Running: d.RunningCount, Pending: d.PendingCount, Failed: d.FailedTasks, Created: aws.ToTime(d.CreatedAt)})
	}
	if err := s.stopped(ctx, st, aws.ToString(svc.ClusterArn), aws.ToString(svc.ServiceName)); err != nil {
		return err
	}
	for _, lb := range svc.LoadBalancers {
		if err := s.health(ctx, st, aws.ToString(lb.TargetGroupArn)); err != nil {
			return err
		}
	}
	return nil
}

// image is the first container's image of a task definition ("" when it cannot be read: the
// status is still worth printing).
func image(ctx context.Context, st *awsstage.Stage, taskDef string) string {
	out, err := st.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(taskDef)})
	if err != nil || out.TaskDefinition == nil || len(out.TaskDefinition.ContainerDefinitions) == 0 {
		return ""
	}
	return aws.ToString(out.TaskDefinition.ContainerDefinitions[0].Image)
}

// stopped lists the service's recently stopped tasks (ECS keeps them about an hour).
func (s *Status) stopped(ctx context.Context, st *awsstage.Stage, cluster, service string) error {
	list, err := st.ECS.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(cluster), ServiceName: aws.String(service), DesiredStatus: ecstypes.DesiredStatusStopped})
	if err != nil {
		return awsstage.Describe(err, "list the stopped tasks of "+service)
	}
	if len(list.TaskArns) == 0 {
		return nil
	}
	arns := list.TaskArns[:min(len(list.TaskArns), 10)]
	out, err := st.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: arns})
	if err != nil {
		return awsstage.Describe(err, "describe the stopped tasks of "+service)
	}
	for _, t := range out.Tasks {
		s.StoppedTasks = append(s.StoppedTasks, Stopped{Task: shortARN(aws.ToString(t.TaskArn)), TaskDefinition: shortARN(aws.ToString(t.TaskDefinitionArn)),
			Reason: aws.ToString(t.StoppedReason), Stopped: aws.ToTime(t.StoppedAt)})
	}
	return nil
}

func (s *Status) health(ctx context.Context, st *awsstage.Stage, tg string) error {
	out, err := st.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)})
	if err != nil {
		return awsstage.Describe(err, "read the target health of "+shortARN(tg))
	}
	for _, d := range out.TargetHealthDescriptions {
		t := Target{TargetGroup: shortARN(tg), ID: aws.ToString(d.Target.Id)}
		if d.TargetHealth != nil {
			t.State, t.Reason = string(d.TargetHealth.State), aws.ToString(d.TargetHealth.Description)
		}
		s.Targets = append(s.Targets, t)
	}
	return nil
}

// phases reads the unfinished service deployments: their lifecycle stage says where a
// blue/green, canary or linear deployment is (e.g. BAKE_TIME, TEST_TRAFFIC_SHIFT).
func (s *Status) phases(ctx context.Context, st *awsstage.Stage) error {
	ds, err := st.Deployments(ctx, 0, ecstypes.ServiceDeploymentStatusPending, ecstypes.ServiceDeploymentStatusInProgress,
		ecstypes.ServiceDeploymentStatusRollbackRequested, ecstypes.ServiceDeploymentStatusRollbackInProgress, ecstypes.ServiceDeploymentStatusStopRequested)
	if err != nil {
		return err
	}
	for _, d := range ds {
		p := Phase{ARN: aws.ToString(d.ServiceDeploymentArn), Status: string(d.Status), Stage: string(d.LifecycleStage)}
		if d.DeploymentConfiguration != nil {
			p.Strategy = string(d.DeploymentConfiguration.Strategy)
		}
		s.InProgress = append(s.InProgress, p)
	}
	return nil
}

// traffic reads the production listener rule's weights (output ProductionRuleArn, present for
// the strategies that shift traffic between two target groups).
func (s *Status) traffic(ctx context.Context, st *awsstage.Stage) error {
	rule := st.Outputs[awsstage.OutputProdRule]
	if rule == "" {
		return nil
	}
	out, err := st.ELB.DescribeRules(ctx, &elb.DescribeRulesInput{RuleArns: []string{rule}})
	if err != nil {
		return awsstage.Describe(err, "read the production listener rule")
	}
	for _, r := range out.Rules {
		for _, a := range r.Actions {
			if a.ForwardConfig == nil {
				continue
			}
			for _, tg := range a.ForwardConfig.TargetGroups {
				s.Traffic = append(s.Traffic, Weight{TargetGroup: shortARN(aws.ToString(tg.TargetGroupArn)), Weight: aws.ToInt32(tg.Weight)})
			}
		}
	}
	return nil
}

// alarms reports the stage's alarms in ALARM: the stack's AWS::CloudWatch::Alarm resources and
// the deployment alarms its output DeploymentAlarmNames lists.
func (s *Status) alarms(ctx context.Context, st *awsstage.Stage) error {
	names := strings.Fields(st.Outputs["DeploymentAlarmNames"])
	p := cloudformation.NewListStackResourcesPaginator(st.CloudFormation, &cloudformation.ListStackResourcesInput{StackName: aws.String(st.StackName)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return awsstage.Describe(err, "list the resources of "+st.StackName)
		}
		for _, r := range page.StackResourceSummaries {
			if aws.ToString(r.ResourceType) == "AWS::CloudWatch::Alarm" && aws.ToString(r.PhysicalResourceId) != "" {
				names = append(names, aws.ToString(r.PhysicalResourceId))
			}
		}
	}
	s.AlarmsInAlarm = []Alarm{}
	for i := 0; i < len(names); i += 100 {
		out, err := st.CloudWatch.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: names[i:min(i+100, len(names))], StateValue: cwtypes.StateValueAlarm})
		if err != nil {
			return awsstage.Describe(err, "read the stage's alarms")
		}
		for _, a := range out.MetricAlarms {
			if a.StateValue != cwtypes.StateValueAlarm { // the filter again: moto applies names or state, not both
				continue
			}
			s.AlarmsInAlarm = append(s.AlarmsInAlarm, Alarm{Name: aws.ToString(a.AlarmName), Reason: aws.ToString(a.StateReason), Since: aws.ToTime(a.StateUpdatedTimestamp)})
		}
	}
	return nil
}

// shortARN keeps what a person recognizes: the resource part after the last "/" (and its
// predecessor for target groups, whose last part is an id).
func shortARN(arn string) string {
	parts := strings.Split(arn, "/")
	switch {
	case len(parts) >= 3 && strings.Contains(arn, ":targetgroup/"):
		return parts[len(parts)-2]
	case len(parts) >= 2:
		return parts[len(parts)-1]
	}
	return arn
}
