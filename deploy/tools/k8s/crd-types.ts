/**
 * TypeScript shapes of the custom resources we ship: the Prometheus operator's ServiceMonitor
 * (monitoring.coreos.com/v1) and KServe's ServingRuntime, ClusterServingRuntime, InferenceService
 * and TrainedModel. They list the fields those CRDs define (from prometheus-operator's
 * pkg/apis/monitoring/v1 and kserve's pkg/apis/serving types) and reuse kubernetes-models for
 * embedded core types, so the type-shape checker catches a misspelled field in a CRD manifest the
 * same way as in a Deployment. Only the parts of each CRD that deployments here use are complete;
 * rarely used nested options are typed loosely (`Record<string, unknown>`).
 */
import type { IDeploymentSpec } from 'kubernetes-models/apps/v1/DeploymentSpec';
import type { IHorizontalPodAutoscalerBehavior } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscalerBehavior';
import type { IAffinity } from 'kubernetes-models/v1/Affinity';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import type { ILocalObjectReference } from 'kubernetes-models/v1/LocalObjectReference';
import type { IPod } from 'kubernetes-models/v1/Pod';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { ISecretKeySelector } from 'kubernetes-models/v1/SecretKeySelector';
import type { IToleration } from 'kubernetes-models/v1/Toleration';
import type { IVolume } from 'kubernetes-models/v1/Volume';

/** Kubernetes ObjectMeta. */
export type ObjectMeta = NonNullable<IPod['metadata']>;
/** Kubernetes LabelSelector. */
export type LabelSelector = IDeploymentSpec['selector'];

/** Prometheus relabel_config (monitoring.coreos.com/v1 RelabelConfig). */
export interface IRelabelConfig {
  sourceLabels?: string[];
  separator?: string;
  targetLabel?: string;
  regex?: string;
  modulus?: number;
  replacement?: string;
  action?:
    | 'replace' | 'Replace' | 'keep' | 'Keep' | 'drop' | 'Drop' | 'hashmod' | 'HashMod' | 'labelmap' | 'LabelMap'
    | 'labeldrop' | 'LabelDrop' | 'labelkeep' | 'LabelKeep' | 'lowercase' | 'Lowercase' | 'uppercase' | 'Uppercase'
    | 'keepequal' | 'KeepEqual' | 'dropequal' | 'DropEqual';
}

/** One scrape endpoint of a ServiceMonitor. */
export interface IServiceMonitorEndpoint {
  port?: string;
  targetPort?: string | number;
  path?: string;
  scheme?: 'http' | 'https' | 'HTTP' | 'HTTPS';
  params?: Record<string, string[]>;
  interval?: string;
  scrapeTimeout?: string;
  honorLabels?: boolean;
  honorTimestamps?: boolean;
  trackTimestampsStaleness?: boolean;
  tlsConfig?: Record<string, unknown>;
  bearerTokenSecret?: ISecretKeySelector;
  authorization?: { type?: string; credentials?: ISecretKeySelector };
  basicAuth?: { username?: ISecretKeySelector; password?: ISecretKeySelector };
  oauth2?: Record<string, unknown>;
  metricRelabelings?: IRelabelConfig[];
  relabelings?: IRelabelConfig[];
  proxyUrl?: string;
  followRedirects?: boolean;
  enableHttp2?: boolean;
  filterRunning?: boolean;
}

/** monitoring.coreos.com/v1 ServiceMonitor. */
export interface IServiceMonitor {
  apiVersion: 'monitoring.coreos.com/v1';
  kind: 'ServiceMonitor';
  metadata?: ObjectMeta;
  spec: {
    jobLabel?: string;
    targetLabels?: string[];
    podTargetLabels?: string[];
    endpoints: IServiceMonitorEndpoint[];
    selector: LabelSelector;
    selectorMechanism?: 'RelabelConfig' | 'RoleSelector';
    namespaceSelector?: { any?: boolean; matchNames?: string[] };
    sampleLimit?: number;
    targetLimit?: number;
    scrapeProtocols?: string[];
    fallbackScrapeProtocol?: string;
    labelLimit?: number;
    labelNameLengthLimit?: number;
    labelValueLengthLimit?: number;
    keepDroppedTargets?: number;
    attachMetadata?: { node?: boolean };
    scrapeClass?: string;
    bodySizeLimit?: string;
  };
}

/** KServe protocol names (constants.InferenceServiceProtocol). */
export type KServeProtocol = 'v1' | 'v2' | 'grpc-v1' | 'grpc-v2';

/** A model format a runtime serves. */
export interface ISupportedModelFormat {
  name: string;
  version?: string;
  autoSelect?: boolean;
  priority?: number;
}

/** ServingRuntimePodSpec: the pod fields a runtime may set. */
export interface IServingRuntimePodSpec {
  containers: IContainer[];
  volumes?: IVolume[];
  nodeSelector?: Record<string, string>;
  affinity?: IAffinity;
  tolerations?: IToleration[];
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  imagePullSecrets?: ILocalObjectReference[];
  hostIPC?: boolean;
}

/** serving.kserve.io/v1alpha1 ServingRuntimeSpec. */
export interface IServingRuntimeSpec extends IServingRuntimePodSpec {
  supportedModelFormats?: ISupportedModelFormat[];
  multiModel?: boolean;
  disabled?: boolean;
  protocolVersions?: KServeProtocol[];
  workerSpec?: IServingRuntimePodSpec & { pipelineParallelSize?: number; tensorParallelSize?: number };
  grpcEndpoint?: string;
  grpcDataEndpoint?: string;
  httpDataEndpoint?: string;
  replicas?: number;
  storageHelper?: { disabled?: boolean };
  builtInAdapter?: {
    serverType?: string;
    runtimeManagementPort?: number;
    memBufferBytes?: number;
    modelLoadingTimeoutMillis?: number;
    env?: IEnvVar[];
  };
}

/** serving.kserve.io/v1alpha1 ServingRuntime (namespaced). */
export interface IServingRuntime {
  apiVersion: 'serving.kserve.io/v1alpha1';
  kind: 'ServingRuntime';
  metadata?: ObjectMeta;
  spec: IServingRuntimeSpec;
}

/** serving.kserve.io/v1alpha1 ClusterServingRuntime. */
export interface IClusterServingRuntime {
  apiVersion: 'serving.kserve.io/v1alpha1';
  kind: 'ClusterServingRuntime';
  metadata?: ObjectMeta;
  spec: IServingRuntimeSpec;
}

/** v1beta1 ModelSpec: the model format, runtime and storage, plus container overrides inline. */
export type IModelSpec = Partial<IContainer> & {
  modelFormat: { name: string; version?: string };
  runtime?: string;
  storageUri?: string;
  runtimeVersion?: string;
  protocolVersion?: KServeProtocol;
  storage?: { path?: string; schemaPath?: string; parameters?: Record<string, string>; key?: string };
};

/** v1beta1 ComponentExtensionSpec: replicas, autoscaling and rollout of a component. */
export interface IComponentExtensionSpec {
  minReplicas?: number;
  maxReplicas?: number;
  scaleTarget?: number;
  scaleMetric?: 'cpu' | 'memory' | 'concurrency' | 'rps';
  scaleMetricType?: 'Utilization' | 'Value' | 'AverageValue';
  autoScaling?: { metrics?: Record<string, unknown>[]; behavior?: IHorizontalPodAutoscalerBehavior };
  containerConcurrency?: number;
  timeout?: number;
  canaryTrafficPercent?: number;
  logger?: { url?: string; mode?: 'all' | 'request' | 'response' };
  batcher?: { maxBatchSize?: number; maxLatency?: number; timeout?: number };
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deploymentStrategy?: IDeploymentSpec['strategy'];
}

/** v1beta1 PredictorSpec: one implementation (here `model`), pod overrides and extensions. */
export type IPredictorSpec = Partial<IPodSpec> &
  IComponentExtensionSpec & {
    model?: IModelSpec;
    storageUris?: { uri: string; mountPath?: string }[];
  };

/** serving.kserve.io/v1beta1 InferenceService. */
export interface IInferenceService {
  apiVersion: 'serving.kserve.io/v1beta1';
  kind: 'InferenceService';
  metadata?: ObjectMeta;
  spec: {
    predictor: IPredictorSpec;
    transformer?: Partial<IPodSpec> & IComponentExtensionSpec;
    explainer?: Partial<IPodSpec> & IComponentExtensionSpec;
  };
}

/** serving.kserve.io/v1alpha1 TrainedModel: one model placed on a multi-model InferenceService. */
export interface ITrainedModel {
  apiVersion: 'serving.kserve.io/v1alpha1';
  kind: 'TrainedModel';
  metadata?: ObjectMeta;
  spec: {
    inferenceService: string;
    model: { storageUri: string; framework: string; memory: string | number };
  };
}
