// Double DQN (van Hasselt et al. 2016) for a small grid game: the state is a 9x9 board with two planes (body,
// fruit). The agent holds an online network and a target network of the same architecture, syncs them every
// SYNC_EVERY steps and trains the online one on a Huber TD loss from a replay buffer.
import * as tf from '@tensorflow/tfjs';

const BOARD = 9;
const SYNC_EVERY = 1000;

class ReplayBuffer {
  constructor(capacity) {
    this.capacity = capacity;
    this.items = [];
    this.next = 0;
  }
  push(item) {
    if (this.items.length < this.capacity) this.items.push(item);
    else this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
  }
  sample(n) {
    const out = [];
    for (let i = 0; i < n; i++) out.push(this.items[Math.floor(Math.random() * this.items.length)]);
    return out;
  }
}

export class DQNAgent {
  constructor(numActions, { gamma = 0.99, lr = 1e-3, bufferSize = 50000 } = {}) {
    this.numActions = numActions;
    this.gamma = gamma;
    this.onlineNet = this.buildNet();
    this.targetNet = this.buildNet();
    this.targetNet.trainable = false;
    this.optimizer = tf.train.adam(lr);
    this.buffer = new ReplayBuffer(bufferSize);
    this.steps = 0;
    this.epsilon = 1;
  }

  buildNet() {
    const net = tf.sequential();
    net.add(tf.layers.conv2d({ inputShape: [BOARD, BOARD, 2], filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' })); // expect: missing-lipschitz-constraint@info
    net.add(tf.layers.conv2d({ filters: 64, kernelSize: 3, strides: 2, activation: 'relu' })); // expect: missing-lipschitz-constraint@info
    net.add(tf.layers.flatten());
    net.add(tf.layers.dense({ units: 256, activation: 'relu' })); // expect: missing-lipschitz-constraint@info
    net.add(tf.layers.dense({ units: this.numActions })); // expect: missing-lipschitz-constraint@info
    return net;
  }

  act(state) {
    if (Math.random() < this.epsilon) return Math.floor(Math.random() * this.numActions);
    return tf.tidy(() => this.onlineNet.predict(state.expandDims(0)).argMax(-1).dataSync()[0]);
  }

  remember(state, action, reward, nextState, done) {
    this.buffer.push({ state, action, reward, nextState, done });
  }

  trainStep(batchSize = 64) {
    const batch = this.buffer.sample(batchSize);
    const states = tf.stack(batch.map((b) => b.state));
    const nextStates = tf.stack(batch.map((b) => b.nextState));
    const actions = tf.tensor1d(batch.map((b) => b.action), 'int32');
    const rewards = tf.tensor1d(batch.map((b) => b.reward));
    const notDone = tf.tensor1d(batch.map((b) => (b.done ? 0 : 1)));

    const targets = tf.tidy(() => {
      // double DQN: the online net picks the action, the target net values it
      const bestNext = this.onlineNet.predict(nextStates).argMax(-1);
      const qNext = this.targetNet.predict(nextStates).mul(tf.oneHot(bestNext, this.numActions)).sum(-1);
      return rewards.add(qNext.mul(notDone).mul(this.gamma));
    });

    const loss = this.optimizer.minimize(() => {
      const q = this.onlineNet.apply(states, { training: true });
      const qTaken = q.mul(tf.oneHot(actions, this.numActions)).sum(-1);
      return tf.losses.huberLoss(targets, qTaken);
    }, true);

    this.steps++;
    if (this.steps % SYNC_EVERY === 0) this.targetNet.setWeights(this.onlineNet.getWeights());
    this.epsilon = Math.max(0.05, this.epsilon * 0.9995);
    tf.dispose([states, nextStates, actions, rewards, notDone, targets]);
    return loss.dataSync()[0];
  }
}
