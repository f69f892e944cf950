package infra

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/keelstack/keel/infra/settings"
)

func TestLogGroups(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		groups := outsideDatabase(tp.resources("AWS::Logs::LogGroup"))
		if want := map[bool]int{false: 2, true: 3}[s.WAF.Enabled]; len(groups) != want {
			t.Fatalf("%d log groups outside the database, want the service's, the VPC flow log's and the WAF's when on (%d)", len(groups), want)
		}
		want := map[string]string{"retain": "Retain", "destroy": "Delete"}[s.Logs.RemovalPolicy]
		for id, g := range groups {
			if get(g, "Properties", "RetentionInDays") != float64(s.Logs.RetentionDays) || g["DeletionPolicy"] != want || g["UpdateReplacePolicy"] != want {
				t.Errorf("%s: retention %v, deletion %v, want %d days and %s", id, get(g, "Properties", "RetentionInDays"), g["DeletionPolicy"], s.Logs.RetentionDays, want)
			}
		}
	})
}

func TestAlarms(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		var got []string
		deployment := 0
		for _, a := range tp.resources("AWS::CloudWatch::Alarm") {
			p := a["Properties"].(map[string]any)
			if strings.HasPrefix(fmt.Sprint(p["AlarmDescription"]), "Deployment:") { // TestDeploymentAlarmMath
				deployment++
				continue
			}
			if p["EvaluationPeriods"] != float64(s.Alarms.EvaluationMinutes) || p["TreatMissingData"] != "notBreaching" || p["ComparisonOperator"] != "GreaterThanOrEqualToThreshold" {
				t.Errorf("alarm %s: %s", p["MetricName"], jsonOf(p))
			}
			if p["MetricName"] == "HTTPCode_Target_5XX_Count" && strings.Contains(jsonOf(p["Dimensions"]), "TargetGroup") {
				t.Errorf("target 5xx counted on one target group (%s): a progressive strategy moves traffic to the other", jsonOf(p["Dimensions"]))
			}
			got = append(got, p["Namespace"].(string)+"/"+p["MetricName"].(string)+"@"+jsonOf(p["Threshold"]))
		}
		slices.Sort(got)
		want := []string{
			"AWS/ApplicationELB/HTTPCode_ELB_5XX_Count@" + jsonOf(s.Alarms.ELB5xxPerMinute),
			"AWS/ApplicationELB/HTTPCode_Target_5XX_Count@" + jsonOf(s.Alarms.Target5xxPerMinute),
			"AWS/ECS/CPUUtilization@" + jsonOf(s.Alarms.CPUPercent),
			"AWS/ECS/MemoryUtilization@" + jsonOf(s.Alarms.MemoryPercent),
		}
		if !slices.Equal(got, want) {
			t.Errorf("alarms:\n got %v\nwant %v", got, want)
		}
		if deployment != 3 {
			t.Errorf("%d deployment alarms, want 3 (5xx rate, p99, unhealthy hosts)", deployment)
		}
	})
}

func TestNetwork(t *testing.T) {
	forEachStage(t, func(t *testing.T, s settings.Stage, tp template) {
		if n := len(tp.resources("AWS::EC2::NatGateway")); n != s.Network.NatGateways {
			t.Errorf("%d NAT gateways, want %d", n, s.Network.NatGateways)
		}
		var azs []string
		for _, sn := range tp.resources("AWS::EC2::Subnet") {
			azs = append(azs, get(sn, "Properties", "AvailabilityZone").(string))
		}
		slices.Sort(azs)
		azs = slices.Compact(azs)
		if !slices.Equal(azs, s.AvailabilityZones) {
			t.Errorf("subnets in %v, want %v", azs, s.AvailabilityZones)
		}
		subnets := jsonOf(get(tp.props(t, "AWS::ECS::Service"), "NetworkConfiguration", "AwsvpcConfiguration", "Subnets"))
		wantKind := map[bool]string{true: "publicSubnet", false: "privateSubnet"}[s.Network.PublicTasks]
		if !strings.Contains(subnets, wantKind) {
			t.Errorf("tasks run in %s, want %s subnets", subnets, wantKind)
		}
		if fl := tp.props(t, "AWS::EC2::FlowLog"); fl["TrafficType"] != "REJECT" {
			t.Errorf("flow log = %s", jsonOf(fl))
		}
	})
}
