import { onnx } from 'onnx-proto';

/**
 * A small writer for ONNX graphs. The engine builds its graphs (the converted backbone, the
 * feature head, the nearest-neighbour scorer) in code rather than shipping .onnx files, so that
 * a model's memory bank can be baked in as an initializer and nothing is downloaded.
 */

/** Integers become INT attributes; wrap a value in `float()` when the op wants a FLOAT. */
export type AttrValue = number | number[] | string | Float32Array | { float: number };

export const float = (value: number): { float: number } => ({ float: value });

/** Default opset. 17 has every op used here with the attribute forms used here. */
export const OPSET = 17;
const IR_VERSION = 8;

export class GraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private counter = 0;

  private opset = OPSET;
  private readonly metadata: { key: string; value: string }[] = [];

  /** `opset` above the default for graphs that need newer ops (Resize's antialias is 18). */
  constructor(
    private readonly name: string,
    opset = OPSET,
  ) {
    this.opset = opset;
  }

  /**
   * Starts from an existing model (a user's own backbone): its nodes, weights and inputs are kept,
   * its outputs dropped so the caller can append a head and declare new ones.
   */
  static fromBytes(bytes: Uint8Array, name: string): GraphBuilder {
    const model = onnx.ModelProto.decode(bytes);
    const graph = model.graph;
    if (!graph) throw new Error('the ONNX file has no graph');
    const g = new GraphBuilder(name);
    const opset = model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx');
    const version = Number(opset?.version ?? OPSET);
    if (version < 13) throw new Error(`the ONNX file uses opset ${version}; 13 or newer is required`);
    g.opset = Math.max(version, OPSET);
    const initializers = graph.initializer ?? [];
    const initNames = new Set(initializers.map((t) => t.name));
    g.nodes.push(...(graph.node ?? []));
    g.initializers.push(...initializers);
    g.inputs.push(...(graph.input ?? []).filter((i) => !initNames.has(i.name)));
    return g;
  }

  /** Tensor names the graph's nodes produce, to check that requested layers exist. */
  producedNames(): Set<string> {
    return new Set(this.nodes.flatMap((n) => n.output ?? []));
  }

  inputNames(): string[] {
    return this.inputs.map((i) => i.name!);
  }

  /** A fresh, unique tensor name with a readable prefix. */
  fresh(prefix: string): string {
    this.counter += 1;
    return `${prefix}__${this.counter}`;
  }

  input(name: string, dims: (number | string)[], elemType = onnx.TensorProto.DataType.FLOAT): string {
    this.inputs.push(valueInfo(name, dims, elemType));
    return name;
  }

  output(name: string, dims: (number | string)[], elemType = onnx.TensorProto.DataType.FLOAT): string {
    this.outputs.push(valueInfo(name, dims, elemType));
    return name;
  }

  /** A key-value pair in the model's `metadata_props`, which every ONNX runtime exposes. */
  meta(key: string, value: string): void {
    this.metadata.push({ key, value });
  }

  /** A float32 constant stored as raw little-endian bytes. */
  floats(prefix: string, dims: number[], data: Float32Array | number[]): string {
    const arr = data instanceof Float32Array ? data : Float32Array.from(data);
    if (arr.length !== dims.reduce((a, b) => a * b, 1)) {
      throw new Error(`initializer ${prefix}: ${arr.length} values for dims ${dims.join('x')}`);
    }
    const name = this.fresh(prefix);
    this.initializers.push({
      name,
      dims,
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength),
    });
    return name;
  }

  ints(prefix: string, data: number[]): string {
    const name = this.fresh(prefix);
    this.initializers.push({
      name,
      dims: [data.length],
      dataType: onnx.TensorProto.DataType.INT64,
      int64Data: data,
    });
    return name;
  }

  /** Adds a node and returns the name of its (first) output. */
  op(opType: string, inputs: string[], attrs: Record<string, AttrValue> = {}, outputName?: string): string {
    const out = outputName ?? this.fresh(opType);
    this.nodes.push({
      opType,
      name: this.fresh(`${opType}_node`),
      input: inputs,
      output: [out],
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return out;
  }

  /** A node with several outputs (TopK's values and indices); returns their names. */
  opOutputs(opType: string, inputs: string[], outputs: number, attrs: Record<string, AttrValue> = {}): string[] {
    const names = Array.from({ length: outputs }, () => this.fresh(opType));
    this.nodes.push({
      opType,
      name: this.fresh(`${opType}_node`),
      input: inputs,
      output: names,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return names;
  }

  /** Serialises to the bytes `InferenceSession.create` accepts. */
  toBytes(): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: IR_VERSION,
      producerName: 'lookout-gateway',
      opsetImport: [{ domain: '', version: this.opset }],
      metadataProps: this.metadata,
      graph: {
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

function valueInfo(name: string, dims: (number | string)[], elemType: number): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, v: AttrValue): onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (v instanceof Float32Array) return { name, type: T.FLOATS, floats: Array.from(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  if (typeof v === 'object') return { name, type: T.FLOAT, f: v.float };
  return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
}
