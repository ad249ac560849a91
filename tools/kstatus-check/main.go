// kstatus-check reads objects from the API server and prints the status kstatus computes for each:
// the same library (sigs.k8s.io/cli-utils/pkg/kstatus/status) that Flux's health checks and
// `kpt live status` use. The tests use it to check that what reaper writes reads as intended.
//
//	kstatus-check [--kubeconfig FILE] [--group G --version V --resource R] [--namespace NS] NAME...
//	kstatus-check --stdin [--argocd-health FILE] < objects.json
//
// By name it GETs the objects (defaults: reaper.dev/v1alpha1 reappolicies, cluster-scoped); with
// --stdin it reads objects the caller got from the API server (a stream of JSON objects or Lists),
// e.g. the response to the PATCH that changed a spec, which no controller has seen yet. One JSON
// object per line on stdout: {"name","generation","observedGeneration","status","message",
// "conditions"}; an object that cannot be read is an error (exit 1), never a status. With
// --argocd-health, each line also has "argocd": {"status","message"}, what the Lua health check in
// FILE returns for the object when run as Argo CD runs resource.customizations.health scripts.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type line struct {
	Name               string             `json:"name"`
	Generation         int64              `json:"generation"`
	ObservedGeneration *int64             `json:"observedGeneration,omitempty"`
	Status             string             `json:"status"`
	Message            string             `json:"message"`
	Conditions         []status.Condition `json:"conditions"`
	ArgoCD             *argoHealth        `json:"argocd,omitempty"`
}

// The Lua health check to run on each object too; empty for none.
var healthScript string

func main() {
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig file (default $KUBECONFIG)")
	group := flag.String("group", "reaper.dev", "API group of the objects")
	version := flag.String("version", "v1alpha1", "API version of the objects")
	resource := flag.String("resource", "reappolicies", "resource (plural) of the objects")
	namespace := flag.String("namespace", "", "namespace of the objects; empty for cluster-scoped ones")
	stdin := flag.Bool("stdin", false, "read the objects from stdin instead of the API server")
	argoHealth := flag.String("argocd-health", "", "also run this Argo CD Lua health check on each object")
	flag.Parse()
	if *argoHealth != "" {
		script, err := os.ReadFile(*argoHealth)
		if err != nil {
			fail("reading the health check: %v", err)
		}
		healthScript = string(script)
	}
	out := json.NewEncoder(os.Stdout)
	if *stdin {
		if flag.NArg() != 0 {
			fail("usage: kstatus-check --stdin takes no names")
		}
		fromStdin(out)
		return
	}
	if flag.NArg() == 0 {
		fail("usage: kstatus-check [flags] NAME... | kstatus-check --stdin")
	}

	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		fail("reading kubeconfig %q: %v", *kubeconfig, err)
	}
	client, err := dynamic.NewForConfig(config)
	if err != nil {
		fail("creating a client: %v", err)
	}
	gvr := schema.GroupVersionResource{Group: *group, Version: *version, Resource: *resource}
	var objects dynamic.ResourceInterface = client.Resource(gvr)
	if *namespace != "" {
		objects = client.Resource(gvr).Namespace(*namespace)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, name := range flag.Args() {
		object, err := objects.Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			fail("getting %s %q: %v", gvr.String(), name, err)
		}
		if err := out.Encode(describe(object)); err != nil {
			fail("writing the result: %v", err)
		}
	}
}

func fromStdin(out *json.Encoder) {
	in := json.NewDecoder(os.Stdin)
	for {
		var raw json.RawMessage
		if err := in.Decode(&raw); err == io.EOF {
			return
		} else if err != nil {
			fail("reading objects from stdin: %v", err)
		}
		// The API machinery's own decoding, so integers stay int64 as kstatus expects.
		decoded, err := runtime.Decode(unstructured.UnstructuredJSONScheme, raw)
		if err != nil {
			fail("decoding an object from stdin: %v", err)
		}
		var objects []unstructured.Unstructured
		switch value := decoded.(type) {
		case *unstructured.Unstructured:
			objects = []unstructured.Unstructured{*value}
		case *unstructured.UnstructuredList:
			objects = value.Items
		default:
			fail("stdin holds a %T, not an object or a list", decoded)
		}
		for i := range objects {
			if err := out.Encode(describe(&objects[i])); err != nil {
				fail("writing the result: %v", err)
			}
		}
	}
}

func describe(object *unstructured.Unstructured) line {
	result := line{Name: object.GetName(), Generation: object.GetGeneration(), Conditions: []status.Condition{}}
	if observed, found, err := unstructured.NestedInt64(object.Object, "status", "observedGeneration"); err == nil && found {
		result.ObservedGeneration = &observed
	}
	if healthScript != "" {
		health, err := runHealthScript(healthScript, object.Object)
		if err != nil {
			fail("the Argo CD health check failed on %s: %v", object.GetName(), err)
		}
		result.ArgoCD = health
	}
	computed, err := status.Compute(object)
	if err != nil {
		// kstatus could not read the object (e.g. conditions of the wrong shape): that is a finding.
		result.Status = "Error"
		result.Message = err.Error()
		return result
	}
	result.Status = computed.Status.String()
	result.Message = computed.Message
	result.Conditions = computed.Conditions
	if result.Conditions == nil {
		result.Conditions = []status.Condition{}
	}
	return result
}

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "kstatus-check: "+format+"\n", args...)
	os.Exit(1)
}
