package awstest

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

// The ECS operations moto 5.2 lacks, answered from the shapes in the Amazon ECS API Reference
// (API_ListServiceDeployments, API_DescribeServiceDeployments, API_StopServiceDeployment,
// API_DescribeServiceRevisions, and the data types ServiceDeployment, ServiceDeploymentBrief,
// ServiceRevision, ServiceRevisionSummary, Rollback):
// https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_Operations_Amazon_Elastic_Container_Service.html
//
// Modelled rules, each from that reference or the ECS developer guide ("Stopping Amazon ECS
// service deployments"):
//   - documented: StopServiceDeployment stops an ongoing deployment; stopType ROLLBACK returns
//     the service to the previous revision; a deployment in another state answers
//     ConflictException, an unknown ARN ServiceDeploymentNotFoundException.
//   - documented: the statuses PENDING, IN_PROGRESS, SUCCESSFUL, STOPPED, STOP_REQUESTED,
//     ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL, ROLLBACK_FAILED.
//   - inferred: a stopped deployment moves ROLLBACK_REQUESTED → ROLLBACK_IN_PROGRESS →
//     ROLLBACK_SUCCESSFUL; here each DescribeServiceDeployments of it advances one step (time
//     stands still in a test).

// Deployment is one service deployment the stand-in knows.
type Deployment struct {
	ARN, ServiceARN, ClusterARN string
	Status, StatusReason        string
	LifecycleStage              string
	Strategy                    string
	Created, Started, Finished  time.Time
	// Target and Source are service revision ARNs (Source empty for the first deployment).
	Target, Source string
	RollbackReason string
	// FailedTasks is the circuit breaker's failure count.
	FailedTasks int
}

// Revision is one service revision: what a deployment deploys.
type Revision struct {
	ARN, ServiceARN, ClusterARN, TaskDefinition, Image, Digest string
	Created                                                    time.Time
}

type ecsState struct {
	deployments []*Deployment
	revisions   []Revision
}

// AddDeployment adds a service deployment (and its revision) to what ECS answers.
func (s *Server) AddDeployment(d Deployment, target Revision) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ecs.deployments = append(s.ecs.deployments, &d)
	s.ecs.revisions = append(s.ecs.revisions, target)
}

// Deployment returns the stand-in's current record of a deployment.
func (s *Server) Deployment(arn string) Deployment {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, d := range s.ecs.deployments {
		if d.ARN == arn {
			return *d
		}
	}
	return Deployment{}
}

func (s *Server) standIn(w http.ResponseWriter, r *http.Request, op string, body []byte) bool {
	var answer any
	var code string
	s.mu.Lock()
	switch op {
	case "ListServiceDeployments":
		answer, code = s.ecs.list(body)
	case "DescribeServiceDeployments":
		answer, code = s.ecs.describe(body)
	case "StopServiceDeployment":
		answer, code = s.ecs.stop(body)
	case "DescribeServiceRevisions":
		answer, code = s.ecs.describeRevisions(body)
	case "DetectStackDrift", "DescribeStackDriftDetectionStatus", "DescribeStackResourceDrifts":
		s.mu.Unlock()
		return s.drift.serve(w, r, op, body, &s.mu)
	default:
		s.mu.Unlock()
		return false
	}
	s.mu.Unlock()
	if code != "" {
		writeFault(w, r, code)
		return true
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	_ = json.NewEncoder(w).Encode(answer)
	return true
}

func epoch(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return float64(t.UnixMilli()) / 1000
}

func matches(arn, nameOrARN string) bool {
	return arn == nameOrARN || strings.HasSuffix(arn, "/"+nameOrARN)
}

func (e *ecsState) list(body []byte) (any, string) {
	var in struct {
		Cluster, Service string
		Status           []string
	}
	if err := json.Unmarshal(body, &in); err != nil || in.Service == "" {
		return nil, "InvalidParameterException"
	}
	briefs := []map[string]any{}
	for _, d := range e.deployments {
		if !matches(d.ServiceARN, in.Service) || in.Cluster != "" && !matches(d.ClusterARN, in.Cluster) {
			continue
		}
		if len(in.Status) > 0 && !slices.Contains(in.Status, d.Status) {
			continue
		}
		briefs = append(briefs, map[string]any{
			"serviceDeploymentArn": d.ARN, "serviceArn": d.ServiceARN, "clusterArn": d.ClusterARN,
			"createdAt": epoch(d.Created), "startedAt": epoch(d.Started), "finishedAt": epoch(d.Finished),
			"targetServiceRevisionArn": d.Target, "status": d.Status, "statusReason": d.StatusReason,
		})
	}
	return map[string]any{"serviceDeployments": briefs}, ""
}

func (e *ecsState) describe(body []byte) (any, string) {
	var in struct{ ServiceDeploymentArns []string }
	if err := json.Unmarshal(body, &in); err != nil || len(in.ServiceDeploymentArns) == 0 {
		return nil, "InvalidParameterException"
	}
	out, failures := []map[string]any{}, []map[string]any{}
	for _, arn := range in.ServiceDeploymentArns {
		i := slices.IndexFunc(e.deployments, func(d *Deployment) bool { return d.ARN == arn })
		if i < 0 {
			failures = append(failures, map[string]any{"arn": arn, "reason": "MISSING"})
			continue
		}
		d := e.deployments[i]
		d.advance()
		sd := map[string]any{
			"serviceDeploymentArn": d.ARN, "serviceArn": d.ServiceARN, "clusterArn": d.ClusterARN,
			"createdAt": epoch(d.Created), "startedAt": epoch(d.Started), "finishedAt": epoch(d.Finished),
			"updatedAt": epoch(d.Created), "status": d.Status, "statusReason": d.StatusReason, "lifecycleStage": d.LifecycleStage,
			"targetServiceRevision":    map[string]any{"arn": d.Target, "requestedTaskCount": 2, "runningTaskCount": 2, "pendingTaskCount": 0},
			"deploymentConfiguration":  map[string]any{"strategy": d.Strategy, "deploymentCircuitBreaker": map[string]any{"enable": true, "rollback": true}},
			"deploymentCircuitBreaker": map[string]any{"status": "MONITORING", "failureCount": d.FailedTasks, "threshold": 3},
		}
		if d.Source != "" {
			sd["sourceServiceRevisions"] = []map[string]any{{"arn": d.Source, "requestedTaskCount": 2, "runningTaskCount": 2, "pendingTaskCount": 0}}
		}
		if d.RollbackReason != "" {
			sd["rollback"] = map[string]any{"reason": d.RollbackReason, "startedAt": epoch(d.Started), "serviceRevisionArn": d.Source}
		}
		out = append(out, sd)
	}
	return map[string]any{"serviceDeployments": out, "failures": failures}, ""
}

// advance moves a stopped deployment one step on (see the rules above).
func (d *Deployment) advance() {
	switch d.Status {
	case "ROLLBACK_REQUESTED":
		d.Status = "ROLLBACK_IN_PROGRESS"
	case "ROLLBACK_IN_PROGRESS":
		d.Status, d.Finished = "ROLLBACK_SUCCESSFUL", time.Now()
	}
}

func (e *ecsState) stop(body []byte) (any, string) {
	var in struct{ ServiceDeploymentArn, StopType string }
	if err := json.Unmarshal(body, &in); err != nil || in.ServiceDeploymentArn == "" {
		return nil, "InvalidParameterException"
	}
	i := slices.IndexFunc(e.deployments, func(d *Deployment) bool { return d.ARN == in.ServiceDeploymentArn })
	if i < 0 {
		return nil, "ServiceDeploymentNotFoundException"
	}
	d := e.deployments[i]
	if d.Status != "IN_PROGRESS" && d.Status != "PENDING" {
		return nil, "ConflictException"
	}
	if in.StopType == "ABORT" {
		d.Status = "STOP_REQUESTED"
	} else {
		d.Status, d.RollbackReason = "ROLLBACK_REQUESTED", "Service deployment rolled back because of a stop request."
	}
	return map[string]any{"serviceDeploymentArn": d.ARN}, ""
}

func (e *ecsState) describeRevisions(body []byte) (any, string) {
	var in struct{ ServiceRevisionArns []string }
	if err := json.Unmarshal(body, &in); err != nil || len(in.ServiceRevisionArns) == 0 {
		return nil, "InvalidParameterException"
	}
	out, failures := []map[string]any{}, []map[string]any{}
	for _, arn := range in.ServiceRevisionArns {
		i := slices.IndexFunc(e.revisions, func(r Revision) bool { return r.ARN == arn })
		if i < 0 {
			failures = append(failures, map[string]any{"arn": arn, "reason": "MISSING"})
			continue
		}
		r := e.revisions[i]
		out = append(out, map[string]any{
			"serviceRevisionArn": r.ARN, "serviceArn": r.ServiceARN, "clusterArn": r.ClusterARN,
			"taskDefinition": r.TaskDefinition, "launchType": "FARGATE", "createdAt": epoch(r.Created),
			"containerImages": []map[string]any{{"containerName": "app", "image": r.Image, "imageDigest": r.Digest}},
		})
	}
	return map[string]any{"serviceRevisions": out, "failures": failures}, ""
}
