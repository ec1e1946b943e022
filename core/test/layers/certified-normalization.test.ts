import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { SpectralConv2D } from '../../src/layers/spectral-conv2d';
import { SpectralDense } from '../../src/layers/spectral-dense';
import { SpectralNormConstraint, type SpectralNormMode } from '../../src/layers/spectral-norm';
import { largestSingularValue } from '../helpers/linalg';

before(async () => {
  await tf.setBackend('cpu');
});

/**
 * The float64 matrix of a bias-free linear layer, read off basis inputs: each output entry is one float32
 * product with 1 plus zeros, so these are the normalized kernel's entries exactly.
 */
function operatorOf(layer: tf.layers.Layer, inputShape: number[]): number[][] {
  const n = inputShape.reduce((a, b) => a * b, 1);
  return tf.tidy(() => {
    const out = layer.apply(tf.eye(n).reshape([n, ...inputShape])) as tf.Tensor;
    return tf.transpose(out.reshape([n, -1])).arraySync() as number[][];
  });
}

/** 50 Adam steps that maximise the output energy, pushing the raw kernel's norm up (so the constraint bites). */
function train(layer: tf.layers.Layer, inputShape: number[], steps = 50): void {
  const optimizer = tf.train.adam(0.05);
  const x = tf.randomNormal([4, ...inputShape], 0, 1, 'float32', 11);
  for (let i = 0; i < steps; i++) {
    tf.tidy(() => {
      optimizer.minimize(
        () => tf.neg(tf.mean(tf.square(layer.apply(x, { training: true }) as tf.Tensor))) as tf.Scalar,
      );
    });
  }
  x.dispose();
  optimizer.dispose();
}

const COEFFS = [0.5, 0.9, 0.99, 1, 3];
const excess: Record<string, number> = {};

function check(
  make: (c: number, norm: SpectralNormMode) => tf.layers.Layer,
  inputShape: number[],
  what: string,
) {
  for (const norm of ['certified', 'power'] as const) {
    let worst = 0;
    for (const c of COEFFS) {
      const layer = make(c, norm);
      layer.build([null, ...inputShape]);
      const raw = largestSingularValue(operatorOf(make(1e6, norm), inputShape));
      const measured: number[] = [largestSingularValue(operatorOf(layer, inputShape))];
      train(layer, inputShape);
      measured.push(largestSingularValue(operatorOf(layer, inputShape)));
      const cert = (layer as SpectralDense).spectralCertificate();
      for (const sigma of measured) {
        worst = Math.max(worst, sigma / c);
        if (norm === 'certified') {
          assert.ok(sigma <= c * (1 + 1e-9), `${what} c=${c}: ${sigma}`);
          assert.equal(cert.kind, 'certified');
          assert.ok(
            cert.sigma >= measured[1]! * (1 - 1e-12),
            `${what}: certificate ${cert.sigma} < ${measured[1]}`,
          );
        } else {
          assert.equal(cert.kind, 'estimated');
        }
      }
      // The constraint is active (raw norm above c) and the certified normalisation is not needlessly loose.
      if (raw > c * 1.1) assert.ok(measured[0]! >= c * 0.9, `${what} c=${c}: ${measured[0]} far below c`);
    }
    excess[`${what} ${norm}`] = worst;
  }
}

describe('certified spectral normalisation (float64 SVD of the normalized operator <= c)', () => {
  it('SpectralDense 16 -> 12, at construction and after 50 optimiser steps', () => {
    check(
      (coeff, norm) =>
        new SpectralDense({
          units: 12,
          coeff,
          norm,
          useBias: false,
          seed: 3,
          kernelInitializer: tf.initializers.orthogonal({ gain: 4, seed: 3 }),
        }),
      [16],
      'dense',
    );
  });

  for (const [kernelSize, strides, padding] of [
    [3, 1, 'same'],
    [3, 2, 'valid'],
    [1, 1, 'valid'],
    [5, 2, 'same'],
  ] as const) {
    it(`SpectralConv2D ${kernelSize}x${kernelSize} stride ${strides} ${padding} on 6x6x2`, () => {
      check(
        (coeff, norm) =>
          new SpectralConv2D({
            filters: 3,
            kernelSize,
            strides,
            padding,
            coeff,
            norm,
            useBias: false,
            seed: 5,
            kernelInitializer: tf.initializers.randomNormal({ stddev: 2, seed: 5 }),
          }),
        [6, 6, 2],
        `conv k${kernelSize} s${strides} ${padding}`,
      );
    });
  }

  it('spectralNorm({ coeff }) constraint on a kernel moved by 50 large random updates', () => {
    for (const norm of ['certified', 'power'] as const) {
      let worst = 0;
      for (const c of COEFFS) {
        const constraint = new SpectralNormConstraint({ coeff: c, norm, seed: 2 });
        let w = tf.mul(tf.randomNormal([10, 8], 0, 1, 'float32', 4), 3) as tf.Tensor2D;
        for (let step = 0; step < 51; step++) {
          const projected = constraint.apply(w) as tf.Tensor2D;
          const sigma = largestSingularValue(projected.arraySync());
          worst = Math.max(worst, sigma / c);
          if (norm === 'certified') assert.ok(sigma <= c * (1 + 1e-9), `c=${c} step ${step}: ${sigma}`);
          const next = tf.tidy(() =>
            tf.add(projected, tf.randomNormal([10, 8], 0, 0.5, 'float32', 100 + step)),
          );
          tf.dispose([w, projected]);
          w = next as tf.Tensor2D;
        }
        w.dispose();
        constraint.dispose();
      }
      excess[`spectralNorm constraint ${norm}`] = worst;
    }
  });

  it('a kernel replaced by setWeights is certified again (the bound cache follows the data, not the layer)', () => {
    const layer = new SpectralDense({ units: 5, coeff: 0.9, useBias: false, seed: 8 });
    layer.build([null, 7]);
    const first = largestSingularValue(operatorOf(layer, [7]));
    assert.ok(first <= 0.9 * (1 + 1e-9) && largestSingularValue(operatorOf(layer, [7])) === first);
    const [kernel, u] = layer.getWeights();
    const bigger = tf.mul(kernel!, 40);
    layer.setWeights([bigger, u!]);
    const after = largestSingularValue(operatorOf(layer, [7]));
    assert.ok(after <= 0.9 * (1 + 1e-9) && after >= 0.9 * 0.999, `${after}`);
    bigger.dispose();
  });

  it('prints the worst sigma / c seen per layer and mode', () => {
    for (const [k, v] of Object.entries(excess)) console.log(`max sigma / c, ${k}: ${v.toFixed(6)}`);
    assert.equal(Object.keys(excess).length, 12);
  });
});
