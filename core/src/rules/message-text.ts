/**
 * A finding's message leads with one short sentence saying what is wrong: the Problems panel shows a message on
 * one line, cut at the panel's width, so the explanation and the math follow it (editors show the whole
 * message in the diagnostic's hover).
 */

/** The Problems panel's width in characters on a laptop screen, which the first sentence must fit. */
export const FIRST_SENTENCE_MAX = 90;

/**
 * The message up to the first `.`, `!` or `?` followed by a space or the end. Dots inside a token
 * (`tf.layers.dense`, `0.9`) do not end a sentence.
 */
export function firstSentence(message: string): string {
  const m = /^[\s\S]*?[.!?](?=\s|$)/.exec(message);
  return m ? m[0] : message;
}

/** What follows the first sentence, trimmed: the explanation ('' when the message is one sentence). */
export function explanation(message: string): string {
  return message.slice(firstSentence(message).length).trim();
}
