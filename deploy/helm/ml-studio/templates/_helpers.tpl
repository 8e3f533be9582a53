{{/* Names ------------------------------------------------------------------ */}}

{{- define "ml-studio.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The prefix of every resource name. */}}
{{- define "ml-studio.fullname" -}}
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

{{/* A component's name: (dict "root" $ "component" "cerberus") */}}
{{- define "ml-studio.componentName" -}}
{{- printf "%s-%s" (include "ml-studio.fullname" .root | trunc 45 | trimSuffix "-") .component }}
{{- end }}

{{- define "ml-studio.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels -------------------------------------------------------------------- */}}

{{- define "ml-studio.labels" -}}
helm.sh/chart: {{ include "ml-studio.chart" .root }}
{{ include "ml-studio.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: ml-studio
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "ml-studio.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ml-studio.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{/* Images -------------------------------------------------------------------- */}}

{{/* (dict "root" $ "image" .Values.cerberus.image) */}}
{{- define "ml-studio.image" -}}
{{- $tag := .image.tag | default .root.Values.image.tag | default .root.Chart.AppVersion -}}
{{- printf "%s%s:%s" .root.Values.image.registry .image.repository (toString $tag) }}
{{- end }}

{{- define "ml-studio.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ml-studio.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* Service host names --------------------------------------------------------- */}}

{{- define "ml-studio.cerberusHost" -}}
{{ include "ml-studio.componentName" (dict "root" . "component" "cerberus") }}
{{- end }}
{{- define "ml-studio.mlStudioHost" -}}
{{ include "ml-studio.componentName" (dict "root" . "component" "ml-studio") }}
{{- end }}
{{- define "ml-studio.mlflowHost" -}}
{{ include "ml-studio.componentName" (dict "root" . "component" "mlflow") }}
{{- end }}

{{/* A Service's fully qualified name: (dict "root" $ "name" "x") */}}
{{- define "ml-studio.fqdn" -}}
{{- printf "%s.%s.svc.%s" .name .root.Release.Namespace .root.Values.clusterDomain }}
{{- end }}

{{/* MLflow's Host allow-list: its Service's names (short, namespaced, FQDN)
on any port, loopback, and mlflow.allowedHosts. */}}
{{- define "ml-studio.mlflowAllowedHosts" -}}
{{- $svc := include "ml-studio.mlflowHost" . -}}
{{- $ns := .Release.Namespace -}}
{{- $hosts := list -}}
{{- range $h := list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (include "ml-studio.fqdn" (dict "root" $ "name" $svc)) "localhost" "127.0.0.1" -}}
{{- $hosts = append $hosts $h -}}
{{- $hosts = append $hosts (printf "%s:*" $h) -}}
{{- end -}}
{{- $hosts = concat $hosts .Values.mlflow.allowedHosts -}}
{{- join "," $hosts -}}
{{- end }}

{{/* Secrets --------------------------------------------------------------------- */}}

{{/* A password kept across upgrades: the value given, else the one already in
the Secret, else a new random one. (dict "root" $ "secret" name "key" k "value" v) */}}
{{- define "ml-studio.password" -}}
{{- if .value }}
{{- .value }}
{{- else }}
{{- $existing := lookup "v1" "Secret" .root.Release.Namespace .secret }}
{{- if and $existing (hasKey $existing.data .key) }}
{{- index $existing.data .key | b64dec }}
{{- else }}
{{- randAlphaNum 32 }}
{{- end }}
{{- end }}
{{- end }}

{{- define "ml-studio.externalDbSecret" -}}
{{- if .Values.externalDatabase.existingSecret }}
{{- .Values.externalDatabase.existingSecret }}
{{- else }}
{{- include "ml-studio.componentName" (dict "root" . "component" "external-db") }}
{{- end }}
{{- end }}

{{- define "ml-studio.mysqlSecret" -}}
{{- .Values.mysql.existingSecret | default (include "ml-studio.componentName" (dict "root" . "component" "mysql")) }}
{{- end }}

{{- define "ml-studio.postgresqlSecret" -}}
{{- .Values.postgresql.existingSecret | default (include "ml-studio.componentName" (dict "root" . "component" "postgresql")) }}
{{- end }}

{{- define "ml-studio.registrarSecret" -}}
{{- .Values.registrar.existingSecret | default (include "ml-studio.componentName" (dict "root" . "component" "registrar")) }}
{{- end }}

{{/* The registrar secret for a container's env, as NAME. */}}
{{- define "ml-studio.registrarEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "ml-studio.registrarSecret" .root }}
      key: {{ .root.Values.registrar.existingSecretKey }}
{{- end }}

{{- define "ml-studio.mlflowKekSecret" -}}
{{- .Values.mlflow.kek.existingSecret | default (include "ml-studio.componentName" (dict "root" . "component" "mlflow-kek")) }}
{{- end }}

{{- define "ml-studio.adminSecret" -}}
{{- .Values.cerberus.admin.existingSecret | default (include "ml-studio.componentName" (dict "root" . "component" "cerberus")) }}
{{- end }}

{{/* Pod pieces ------------------------------------------------------------------- */}}

{{/* The pod-level security context: (dict "uid" 65532) */}}
{{- define "ml-studio.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .uid }}
runAsGroup: {{ .uid }}
fsGroup: {{ .uid }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Settings every pod of the chart shares. */}}
{{- define "ml-studio.podCommon" -}}
serviceAccountName: {{ include "ml-studio.serviceAccountName" . }}
automountServiceAccountToken: false
{{- /* Service links would set e.g. ML_STUDIO_PORT=tcp://... in every pod. */}}
enableServiceLinks: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* nodeSelector, tolerations, affinity of one component's values. */}}
{{- define "ml-studio.scheduling" -}}
{{- with .nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* Replicas the workload wants at least (for the PDB decision). */}}
{{- define "ml-studio.minReplicas" -}}
{{- if and .autoscaling .autoscaling.enabled }}
{{- .autoscaling.minReplicas | default .replicas }}
{{- else }}
{{- .replicas }}
{{- end }}
{{- end }}
