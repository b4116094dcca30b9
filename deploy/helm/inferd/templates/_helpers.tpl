{{/*
Names and labels. Kubernetes names are limited to 63 characters (DNS-1123 labels).
*/}}
{{- define "inferd.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "inferd.fullname" -}}
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

{{- define "inferd.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "inferd.selectorLabels" -}}
app.kubernetes.io/name: {{ include "inferd.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "inferd.labels" -}}
helm.sh/chart: {{ include "inferd.chart" . }}
{{ include "inferd.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: inferd
{{- end }}

{{- define "inferd.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "inferd.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The image reference: by digest when one is given, else repository:tag[-variant].
*/}}
{{- define "inferd.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- $tag := .Values.image.tag | default .Chart.AppVersion }}
{{- if .Values.image.variant }}
{{- $tag = printf "%s-%s" $tag .Values.image.variant }}
{{- end }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/*
Secrets: "true" when the chart creates its own Secret; the name of whichever Secret is used.
*/}}
{{- define "inferd.createSecret" -}}
{{- if and .Values.secrets.create (not .Values.secrets.existingSecret) (or .Values.secrets.hfToken .Values.secrets.apiKeys .Values.secrets.testApiKey) }}
{{- true }}
{{- end }}
{{- end }}

{{- define "inferd.secretName" -}}
{{- default (include "inferd.fullname" .) .Values.secrets.existingSecret }}
{{- end }}

{{- define "inferd.hasSecret" -}}
{{- if or .Values.secrets.existingSecret (include "inferd.createSecret" .) }}
{{- true }}
{{- end }}
{{- end }}

{{/*
The cache claim a Deployment mounts; StatefulSets use volumeClaimTemplates instead.
*/}}
{{- define "inferd.cacheClaimName" -}}
{{- default (printf "%s-cache" (include "inferd.fullname" .)) .Values.cache.persistence.existingClaim }}
{{- end }}

{{/*
Env entries shared by the server and the prefetch init container (settings come from the ConfigMap).
*/}}
{{- define "inferd.env" -}}
{{- if and (include "inferd.hasSecret" .) (or .Values.secrets.existingSecret .Values.secrets.hfToken) }}
- name: HF_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "inferd.secretName" . }}
      key: HF_TOKEN
      optional: true
{{- end }}
{{- with .Values.server.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Container resources with the GPU count merged into limits (extended resources are set as limits only).
*/}}
{{- define "inferd.resources" -}}
{{- $gpus := int .Values.gpu.count }}
{{- with .Values.resources.requests }}
requests:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- if or .Values.resources.limits (gt $gpus 0) }}
limits:
  {{- with .Values.resources.limits }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
  {{- if gt $gpus 0 }}
  {{ .Values.gpu.resourceName }}: {{ $gpus }}
  {{- end }}
{{- end }}
{{- end }}

{{/*
Fails the render when the pod could be killed before in-flight requests finish.
*/}}
{{- define "inferd.checkShutdownBudget" -}}
{{- $grace := int .Values.terminationGracePeriodSeconds }}
{{- $needed := add .Values.lifecycle.preStopSleepSeconds .Values.server.exitTimeoutSecs }}
{{- if le $grace $needed }}
{{- fail (printf "terminationGracePeriodSeconds (%d) must exceed lifecycle.preStopSleepSeconds + server.exitTimeoutSecs (%d)" $grace $needed) }}
{{- end }}
{{- end }}
