{{/*
The pod template shared by the Deployment and StatefulSet forms of the workload.
Writable paths are volumes only (/tmp and the cache), so the root filesystem stays read-only.
*/}}
{{- define "inferd.podTemplate" -}}
metadata:
  labels:
    {{- include "inferd.selectorLabels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
    {{- if include "inferd.createSecret" . }}
    checksum/secret: {{ include (print $.Template.BasePath "/secret.yaml") . | sha256sum }}
    {{- end }}
    {{- if .Values.metrics.podAnnotations }}
    prometheus.io/scrape: "true"
    prometheus.io/port: {{ .Values.server.ports.metrics | quote }}
    prometheus.io/path: /metrics
    {{- end }}
    {{- with .Values.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "inferd.serviceAccountName" . }}
  automountServiceAccountToken: false
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . }}
  {{- end }}
  {{- with .Values.runtimeClassName }}
  runtimeClassName: {{ . }}
  {{- end }}
  terminationGracePeriodSeconds: {{ .Values.terminationGracePeriodSeconds }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  {{- $env := include "inferd.env" . | trim }}
  {{- if .Values.cache.prefetch.enabled }}
  initContainers:
    - name: download-to-cache
      image: {{ include "inferd.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        - download-to-cache
        - --model
        - {{ required "cache.prefetch.enabled needs server.model" .Values.server.model | quote }}
        {{- if .Values.cache.prefetch.allProfiles }}
        - --all
        {{- else if .Values.cache.prefetch.profile }}
        - --profile
        - {{ .Values.cache.prefetch.profile | quote }}
        {{- end }}
      envFrom:
        - configMapRef:
            name: {{ include "inferd.fullname" . }}
      {{- with $env }}
      env:
        {{- . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      {{- with .Values.cache.prefetch.resources }}
      resources:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      volumeMounts:
        - name: cache
          mountPath: {{ .Values.cache.mountPath }}
        - name: tmp
          mountPath: /tmp
  {{- end }}
  containers:
    - name: inferd
      image: {{ include "inferd.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        - serve
        {{- range .Values.server.loadModels }}
        - {{ printf "--load-model=%s" . | quote }}
        {{- end }}
        {{- range .Values.server.extraArgs }}
        - {{ . | quote }}
        {{- end }}
      envFrom:
        - configMapRef:
            name: {{ include "inferd.fullname" . }}
      {{- with $env }}
      env:
        {{- . | nindent 8 }}
      {{- end }}
      ports:
        - name: http
          containerPort: {{ .Values.server.ports.http }}
          protocol: TCP
        - name: grpc
          containerPort: {{ .Values.server.ports.grpc }}
          protocol: TCP
        - name: metrics
          containerPort: {{ .Values.server.ports.metrics }}
          protocol: TCP
      {{- with .Values.probes.startup }}
      startupProbe:
        httpGet:
          path: {{ .path }}
          port: http
        periodSeconds: {{ .periodSeconds }}
        timeoutSeconds: {{ .timeoutSeconds }}
        failureThreshold: {{ .failureThreshold }}
      {{- end }}
      {{- with .Values.probes.liveness }}
      livenessProbe:
        httpGet:
          path: {{ .path }}
          port: http
        periodSeconds: {{ .periodSeconds }}
        timeoutSeconds: {{ .timeoutSeconds }}
        failureThreshold: {{ .failureThreshold }}
      {{- end }}
      {{- with .Values.probes.readiness }}
      readinessProbe:
        httpGet:
          path: {{ .path }}
          port: http
        periodSeconds: {{ .periodSeconds }}
        timeoutSeconds: {{ .timeoutSeconds }}
        failureThreshold: {{ .failureThreshold }}
      {{- end }}
      lifecycle:
        preStop:
          exec:
            command:
              - sleep
              - {{ .Values.lifecycle.preStopSleepSeconds | quote }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      {{- with include "inferd.resources" . | trim }}
      resources:
        {{- . | nindent 8 }}
      {{- end }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        - name: cache
          mountPath: {{ .Values.cache.mountPath }}
        {{- if .Values.modelRepository.enabled }}
        - name: model-repository
          mountPath: {{ .Values.modelRepository.mountPath }}
          readOnly: true
          {{- with .Values.modelRepository.subPath }}
          subPath: {{ . }}
          {{- end }}
        {{- end }}
        {{- if .Values.auth.enabled }}
        - name: auth
          mountPath: /etc/inferd/auth
          readOnly: true
        {{- end }}
  volumes:
    - name: tmp
      emptyDir:
        sizeLimit: {{ .Values.tmpSizeLimit }}
    {{- if not .Values.cache.persistence.enabled }}
    - name: cache
      emptyDir:
        sizeLimit: {{ .Values.cache.emptyDirSizeLimit }}
    {{- else if or (eq .Values.workload "Deployment") .Values.cache.persistence.existingClaim }}
    - name: cache
      persistentVolumeClaim:
        claimName: {{ include "inferd.cacheClaimName" . }}
    {{- end }}
    {{- if .Values.modelRepository.enabled }}
    - name: model-repository
      persistentVolumeClaim:
        claimName: {{ required "modelRepository.enabled needs modelRepository.existingClaim" .Values.modelRepository.existingClaim }}
        readOnly: true
    {{- end }}
    {{- if .Values.auth.enabled }}
    - name: auth
      secret:
        secretName: {{ include "inferd.secretName" . }}
        defaultMode: 288 # 0440: readable by the pod group (fsGroup) only
        items:
          - key: api-keys
            path: api-keys
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
