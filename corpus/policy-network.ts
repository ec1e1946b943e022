// REINFORCE for cart-pole in the style of tfjs-examples/cart-pole: the policy network lives in a class field and is
// built with this.policyNet.add(...) in the constructor, one dense layer per entry of hiddenLayerSizes.
import * as tf from '@tensorflow/tfjs';

export class PolicyNetwork {
  policyNet: tf.Sequential;

  constructor(hiddenLayerSizesOrModel: number | number[] | tf.Sequential) {
    if (hiddenLayerSizesOrModel instanceof tf.Sequential) {
      this.policyNet = hiddenLayerSizesOrModel;
    } else {
      this.policyNet = tf.sequential();
      this.createPolicyNetwork(hiddenLayerSizesOrModel);
    }
  }

  private createPolicyNetwork(hiddenLayerSizes: number | number[]) {
    const sizes = Array.isArray(hiddenLayerSizes) ? hiddenLayerSizes : [hiddenLayerSizes];
    sizes.forEach((hiddenLayerSize, i) => {
      this.policyNet.add(
        tf.layers.dense({ // expect: missing-lipschitz-constraint@info
          units: hiddenLayerSize,
          activation: 'elu',
          inputShape: i === 0 ? [4] : undefined,
        }),
      );
    });
    this.policyNet.add(tf.layers.dense({ units: 1 })); // expect: missing-lipschitz-constraint@info
  }

  /** P(left) = sigmoid(logit); sample the action and keep the gradient of its log-probability. */
  getLogitsAndActions(inputs: tf.Tensor2D): [tf.Tensor, tf.Tensor] {
    return tf.tidy(() => {
      const logits = this.policyNet.predict(inputs) as tf.Tensor;
      const leftProb = tf.sigmoid(logits);
      const leftRightProbs = tf.concat([leftProb, tf.sub(1, leftProb)], 1);
      const actions = tf.multinomial(leftRightProbs as tf.Tensor2D, 1, undefined, true);
      return [logits, actions];
    });
  }

  getGradientsAndSaveActions(inputTensor: tf.Tensor2D): { value: tf.Scalar; grads: tf.NamedTensorMap } {
    const f = () =>
      tf.tidy(() => {
        const [logits, actions] = this.getLogitsAndActions(inputTensor);
        const labels = tf.sub(1, actions.asType('float32'));
        return tf.losses.sigmoidCrossEntropy(labels, logits).asScalar();
      });
    return tf.variableGrads(f);
  }
}

/** Discounted, normalised rewards for one episode. */
export function discountAndNormalize(rewards: number[], gamma = 0.95): tf.Tensor1D {
  return tf.tidy(() => {
    const out: number[] = [];
    let acc = 0;
    for (let i = rewards.length - 1; i >= 0; i--) out.unshift((acc = acc * gamma + rewards[i]!));
    const t = tf.tensor1d(out);
    const { mean, variance } = tf.moments(t);
    return tf.div(tf.sub(t, mean), tf.sqrt(tf.add(variance, 1e-8))) as tf.Tensor1D;
  });
}
