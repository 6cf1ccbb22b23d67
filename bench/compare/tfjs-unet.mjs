// The UNet of docs/model.md rebuilt on TensorFlow.js from our weights file, for the
// side-by-side benchmark: same weights, same layers, NHWC inside (TensorFlow's layout).

// Returns {forward(x, n, t, labels) -> Float32Array, dispose()}. x and the result are
// N, C, H, W float arrays like our engine's; labels: null (= null label K) or n integers.
export function buildTfjsUNet(tf, weights) {
  const m = weights.model;
  const [H, W] = m.image_size;
  const C = m.in_channels, ch = m.base_channels, G = m.groups, K = m.num_classes;
  const levels = m.channel_mult.length;
  const attnAt = (h) => m.attention_resolutions.includes(h);

  // parameters as tf tensors: conv [O, I, kh, kw] -> HWIO, linear [out, in] -> [in, out]
  // (tfjs 4.22's wasm fused matMul adds the bias at wrong offsets when transposeB is set)
  const params = new Map();
  for (const [name, { shape, data }] of weights.tensors) {
    let t = tf.tensor(data, shape, 'float32');
    const linear = shape.length === 2 && name !== 'class_embed.weight';
    if (shape.length === 4 || linear) {
      const moved = tf.transpose(t, linear ? [1, 0] : [2, 3, 1, 0]);
      t.dispose();
      t = moved;
    }
    params.set(name, t);
  }
  const p = (name) => {
    const t = params.get(name);
    if (!t) throw new Error(`tfjs UNet: weights have no tensor ${name}`);
    return t;
  };

  // layers (NHWC); conv padding 1 on both sides as PyTorch pads (not TF's 'same' at stride 2)
  const conv = (x, name, stride = 1) => {
    const k = p(`${name}.weight`);
    return tf.fused.conv2d({ x, filter: k, strides: stride, pad: k.shape[0] === 3 ? 1 : 0,
                             bias: p(`${name}.bias`) });
  };
  const silu = (x) => tf.mul(x, tf.sigmoid(x));
  const linear = (x, name) =>
    tf.fused.matMul({ a: x, b: p(`${name}.weight`), bias: p(`${name}.bias`) });
  const groupNorm = (x, name) => {
    const [n, h, w, c] = x.shape;
    const g = tf.reshape(x, [n, h, w, G, c / G]);
    const { mean, variance } = tf.moments(g, [1, 2, 4], true);
    const y = tf.reshape(tf.mul(tf.sub(g, mean), tf.rsqrt(tf.add(variance, 1e-5))), x.shape);
    return tf.add(tf.mul(y, p(`${name}.weight`)), p(`${name}.bias`));
  };
  const resBlock = (x, emb, name) => {
    let h = conv(silu(groupNorm(x, `${name}.norm1`)), `${name}.conv1`);
    const e = linear(silu(emb), `${name}.temb`);
    h = tf.add(h, tf.reshape(e, [e.shape[0], 1, 1, e.shape[1]]));
    h = conv(silu(groupNorm(h, `${name}.norm2`)), `${name}.conv2`);
    const skip = params.has(`${name}.skip.weight`) ? conv(x, `${name}.skip`) : x;
    return tf.add(skip, h);
  };
  const attention = (x, name) => {
    const [n, h, w, c] = x.shape;
    const qkv = tf.reshape(conv(groupNorm(x, `${name}.norm`), `${name}.qkv`), [n, h * w, 3 * c]);
    const [q, k, v] = tf.split(qkv, 3, 2);
    const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(c));
    const out = tf.matMul(tf.softmax(scores), v);
    return tf.add(x, conv(tf.reshape(out, [n, h, w, c]), `${name}.proj`));
  };

  // sinusoidal embedding in float32 arithmetic, as the LibTorch model computes it
  const half = ch / 2;
  const freqs = Float32Array.from({ length: half },
                                  (_, i) => Math.exp(i * (-Math.log(10000) / half)));
  const timeFeatures = (t, n) => {
    const e = new Float32Array(n * ch);
    for (let i = 0; i < half; ++i) {
      const a = Math.fround(Math.fround(t) * freqs[i]);
      for (let b = 0; b < n; ++b) {
        e[b * ch + i] = Math.sin(a);
        e[b * ch + half + i] = Math.cos(a);
      }
    }
    return tf.tensor(e, [n, ch]);
  };

  const graph = (x, t, labels, n) => {
    let emb = linear(silu(linear(timeFeatures(t, n), 'time_embed.linear1')),
                     'time_embed.linear2');
    if (K > 0) {
      const y = tf.tensor(labels ? Int32Array.from(labels) : new Int32Array(n).fill(K), [n],
                          'int32');
      emb = tf.add(emb, tf.gather(p('class_embed.weight'), y));
    }

    // down path, middle, up path (docs/model.md steps 3-7)
    let h = conv(x, 'conv_in');
    const stack = [h];
    let height = H;
    for (let i = 0; i < levels; ++i) {
      for (let j = 0; j < m.num_res_blocks; ++j) {
        h = resBlock(h, emb, `down.${i}.res.${j}`);
        if (attnAt(height)) h = attention(h, `down.${i}.attn.${j}`);
        stack.push(h);
      }
      if (i < levels - 1) {
        h = conv(h, `down.${i}.downsample.conv`, 2);
        stack.push(h);
        height /= 2;
      }
    }
    h = resBlock(attention(resBlock(h, emb, 'mid.res1'), 'mid.attn'), emb, 'mid.res2');
    for (let i = levels - 1; i >= 0; --i) {
      for (let j = 0; j <= m.num_res_blocks; ++j) {
        h = resBlock(tf.concat([h, stack.pop()], 3), emb, `up.${i}.res.${j}`);
        if (attnAt(height)) h = attention(h, `up.${i}.attn.${j}`);
      }
      if (i > 0) {
        height *= 2;
        h = conv(tf.image.resizeNearestNeighbor(h, [height, h.shape[2] * 2]),
                 `up.${i}.upsample.conv`);
      }
    }
    return conv(silu(groupNorm(h, 'norm_out')), 'conv_out');
  };

  return {
    forward(x, n, t, labels = null) {
      const out = tf.tidy(() => {
        const nhwc = tf.transpose(tf.tensor(x, [n, C, H, W]), [0, 2, 3, 1]);
        return tf.transpose(graph(nhwc, t, labels, n), [0, 3, 1, 2]);
      });
      const data = out.dataSync();
      out.dispose();
      return data;
    },
    dispose() {
      for (const t of params.values()) t.dispose();
    },
  };
}
