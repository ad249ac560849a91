{{/* Names, labels and the checks that span several values (the schema checks each value). */}}

{{- define "reaper.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "reaper.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "reaper.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "reaper.selectorLabels" -}}
app.kubernetes.io/name: {{ include "reaper.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The agents' pods, and only they: test and hook pods carry another component. */}}
{{- define "reaper.agentSelectorLabels" -}}
{{ include "reaper.selectorLabels" . }}
app.kubernetes.io/component: agent
{{- end }}

{{- define "reaper.labels" -}}
helm.sh/chart: {{ include "reaper.chart" . }}
{{ include "reaper.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: reaper
{{- end }}

{{- define "reaper.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "reaper.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "reaper.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* The node-side path of the Docker socket when docker.host is unix://, else empty. */}}
{{- define "reaper.dockerSocket" -}}
{{- if hasPrefix "unix://" .Values.docker.host }}
{{- trimPrefix "unix://" .Values.docker.host }}
{{- end }}
{{- end }}

{{/* The summary writer's pods (DaemonSet mode). */}}
{{- define "reaper.summarySelectorLabels" -}}
{{ include "reaper.selectorLabels" . }}
app.kubernetes.io/component: summary
{{- end }}

{{/* DaemonSet mode runs the summary writer as a Deployment of its own. */}}
{{- define "reaper.summaryDeployment" -}}
{{- if eq .Values.mode "DaemonSet" }}true{{ end }}
{{- end }}

{{- define "reaper.leaderElection" -}}
{{- if and (eq .Values.mode "Deployment") .Values.leaderElection.enabled }}true{{ end }}
{{- end }}

{{- define "reaper.nodeName" -}}
{{- default (include "reaper.fullname" .) .Values.deployment.nodeName }}
{{- end }}

{{/*
Checks that no single value can make: each fails the render with what to change.
*/}}
{{- define "reaper.validate" -}}
{{- if and (eq .Values.mode "Deployment") (gt (int .Values.deployment.replicas) 1) (not .Values.leaderElection.enabled) }}
{{- fail "deployment.replicas > 1 needs leaderElection.enabled: without it every replica would sweep the same Docker engine" }}
{{- end }}
{{- if and .Values.metrics.serviceMonitor.enabled (not .Values.metrics.service.enabled) }}
{{- fail "metrics.serviceMonitor.enabled needs metrics.service.enabled: the ServiceMonitor selects the metrics Service" }}
{{- end }}
{{- if and .Values.docker.tls.secretName (hasPrefix "unix://" .Values.docker.host) }}
{{- fail "docker.tls.secretName is set but docker.host is a unix:// socket: TLS applies to tcp:// engines only" }}
{{- end }}
{{- range .Values.rbac.extraOwnerKinds }}
{{- if and (eq .apiGroup "") (has "secrets" .resources) }}
{{- fail "rbac.extraOwnerKinds names core secrets: reaper never reads Secrets, and no owner kind can be a Secret" }}
{{- end }}
{{- end }}
{{- if .Values.defaultPolicy.enabled }}
{{- $granted := list "reaper.dev" }}
{{- range .Values.rbac.extraOwnerKinds }}
{{- $granted = append $granted .apiGroup }}
{{- end }}
{{- range (.Values.defaultPolicy.spec.owners | default list) }}
{{- $group := "" }}
{{- if contains "/" .apiVersion }}
{{- $group = first (splitList "/" .apiVersion) }}
{{- end }}
{{- if and $.Values.rbac.create (not (has $group $granted)) }}
{{- fail (printf "defaultPolicy.spec.owners names %s %s, but the agent may not read that group: add {apiGroup: %q, resources: [<plural of %s>]} to rbac.extraOwnerKinds" .apiVersion .kind $group .kind) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
