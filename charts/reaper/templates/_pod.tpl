{{/* The agent's pod template, shared by the DaemonSet and the Deployment. */}}
{{- define "reaper.podTemplate" -}}
{{- $socket := include "reaper.dockerSocket" . }}
{{- $daemonSet := eq .Values.mode "DaemonSet" -}}
metadata:
  labels:
    {{- include "reaper.agentSelectorLabels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  serviceAccountName: {{ include "reaper.serviceAccountName" . }}
  automountServiceAccountToken: true
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  {{- with .Values.podSecurityContext }}
  securityContext:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: reaper
      image: {{ include "reaper.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        - run
        {{- if $daemonSet }}
        - --role=agent
        {{- else }}
        # The active replica is the only agent of its engine and the cluster's summary writer.
        - --role=all
        - --summary-period={{ .Values.summary.period }}
        - --stale-after={{ .Values.summary.staleAfter }}
        {{- end }}
        - --node-name=$(NODE_NAME)
        - --http-address=0.0.0.0:{{ .Values.http.port }}
        - --log-level={{ .Values.logLevel }}
        {{- with .Values.policySelector }}
        - --policy-selector={{ . }}
        {{- end }}
        {{- if include "reaper.leaderElection" . }}
        - --leader-elect
        - --leader-election-namespace=$(POD_NAMESPACE)
        - --leader-election-id={{ .Values.leaderElection.id }}
        - --identity=$(POD_NAME)
        {{- end }}
        {{- range .Values.extraArgs }}
        - {{ . | quote }}
        {{- end }}
      env:
        - name: NODE_NAME
          {{- if $daemonSet }}
          valueFrom:
            fieldRef:
              fieldPath: spec.nodeName
          {{- else }}
          value: {{ include "reaper.nodeName" . | quote }}
          {{- end }}
        - name: POD_NAME
          valueFrom:
            fieldRef:
              fieldPath: metadata.name
        - name: POD_NAMESPACE
          valueFrom:
            fieldRef:
              fieldPath: metadata.namespace
        - name: DOCKER_HOST
          value: {{ .Values.docker.host | quote }}
        {{- if .Values.docker.tls.secretName }}
        - name: DOCKER_CERT_PATH
          value: /etc/reaper/docker-tls
        {{- if .Values.docker.tls.verify }}
        - name: DOCKER_TLS_VERIFY
          value: "1"
        {{- end }}
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      ports:
        - name: http
          containerPort: {{ .Values.http.port }}
          protocol: TCP
      {{- with .Values.livenessProbe }}
      livenessProbe:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.readinessProbe }}
      readinessProbe:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .Values.securityContext }}
      securityContext:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        {{- if $socket }}
        - name: docker-socket
          mountPath: {{ $socket }}
        {{- end }}
        {{- if and $daemonSet .Values.cni.enabled }}
        - name: cni-leases
          mountPath: {{ .Values.cni.leaseDir }}
        {{- end }}
        {{- if .Values.docker.tls.secretName }}
        - name: docker-tls
          mountPath: /etc/reaper/docker-tls
          readOnly: true
        {{- end }}
        {{- with .Values.extraVolumeMounts }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
  volumes:
    - name: tmp
      emptyDir:
        sizeLimit: 64Mi
    {{- if $socket }}
    - name: docker-socket
      hostPath:
        path: {{ $socket }}
        type: Socket
    {{- end }}
    {{- if and $daemonSet .Values.cni.enabled }}
    - name: cni-leases
      hostPath:
        path: {{ .Values.cni.leaseDir }}
        type: DirectoryOrCreate
    {{- end }}
    {{- if .Values.docker.tls.secretName }}
    - name: docker-tls
      secret:
        secretName: {{ .Values.docker.tls.secretName }}
        # 0400: readable by the agent only.
        defaultMode: 256
    {{- end }}
    {{- with .Values.extraVolumes }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
