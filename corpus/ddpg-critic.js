// DDPG (Lillicrap et al. 2016) for a continuous-control task. The "critic" here is a Q-network regressed onto
// TD targets with a squared error; it is an ordinary value function, nothing asks it to be Lipschitz.
const tf = require('@tensorflow/tfjs');

class DDPGAgent {
  constructor(stateDim, actionDim, { gamma = 0.99, tau = 0.005 } = {}) {
    this.stateDim = stateDim;
    this.actionDim = actionDim;
    this.gamma = gamma;
    this.tau = tau;
    this.actor = this.buildActor();
    this.critic = this.buildCritic();
    this.targetActor = this.buildActor();
    this.targetCritic = this.buildCritic();
    this.actorOpt = tf.train.adam(1e-4);
    this.criticOpt = tf.train.adam(1e-3);
  }

  buildActor() {
    const s = tf.input({ shape: [this.stateDim] });
    const h1 = tf.layers.dense({ units: 400, activation: 'relu' }).apply(s); // expect: missing-lipschitz-constraint@info
    const h2 = tf.layers.dense({ units: 300, activation: 'relu' }).apply(h1); // expect: missing-lipschitz-constraint@info
    const a = tf.layers.dense({ units: this.actionDim, activation: 'tanh', kernelInitializer: tf.initializers.randomUniform({ minval: -3e-3, maxval: 3e-3 }) }).apply(h2); // expect: missing-lipschitz-constraint@info
    return tf.model({ inputs: s, outputs: a });
  }

  buildCritic() {
    const s = tf.input({ shape: [this.stateDim] });
    const a = tf.input({ shape: [this.actionDim] });
    const hs = tf.layers.dense({ units: 400, activation: 'relu' }).apply(s); // expect: missing-lipschitz-constraint@info
    const h = tf.layers.concatenate().apply([hs, a]);
    const h2 = tf.layers.dense({ units: 300, activation: 'relu' }).apply(h); // expect: missing-lipschitz-constraint@info
    const q = tf.layers.dense({ units: 1 }).apply(h2); // expect: missing-lipschitz-constraint@info
    return tf.model({ inputs: [s, a], outputs: q });
  }

  softUpdate(target, source) {
    target.weights.forEach((w, i) => {
      w.write(w.read().mul(1 - this.tau).add(source.weights[i].read().mul(this.tau)));
    });
  }

  train({ states, actions, rewards, nextStates, dones }) {
    const targetQ = tf.tidy(() => {
      const nextA = this.targetActor.predict(nextStates);
      const nextQ = this.targetCritic.predict([nextStates, nextA]);
      return rewards.add(nextQ.mul(tf.scalar(this.gamma)).mul(tf.scalar(1).sub(dones)));
    });
    const criticLoss = this.criticOpt.minimize(
      () => tf.losses.meanSquaredError(targetQ, this.critic.apply([states, actions])),
      true,
      this.critic.trainableWeights.map((w) => w.val),
    );
    this.actorOpt.minimize(
      () => this.critic.apply([states, this.actor.apply(states)]).mean().neg(),
      false,
      this.actor.trainableWeights.map((w) => w.val),
    );
    this.softUpdate(this.targetActor, this.actor);
    this.softUpdate(this.targetCritic, this.critic);
    targetQ.dispose();
    return criticLoss;
  }
}

module.exports = { DDPGAgent };
