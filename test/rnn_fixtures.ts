// The shape of test/fixtures/rnn.json (written by make_rnn_fixtures.py).
import { readFixture, type EncodedTensor } from "./helpers.ts";

export interface Named {
  name: string;
  value: EncodedTensor;
}

export interface EmbeddingCase {
  seed: number;
  count: number;
  dim: number;
  padding_idx: number | null;
  weight: EncodedTensor;
  indices: EncodedTensor;
  weights: EncodedTensor;
  output: EncodedTensor;
  grad: EncodedTensor;
}

export interface RnnCase {
  kind: "lstm" | "gru";
  seed: number;
  input_size: number;
  hidden_size: number;
  num_layers: number;
  bidirectional: boolean;
  batch_first: boolean;
  bias: boolean;
  dropout: number;
  train: boolean;
  params: Named[];
  input: EncodedTensor;
  state: { h: EncodedTensor; c?: EncodedTensor } | null;
  output: EncodedTensor;
  h: EncodedTensor;
  c: EncodedTensor | null;
  grads: Named[];
  input_grad: EncodedTensor;
}

export interface RnnFixtures {
  embedding: EmbeddingCase[];
  rnn: RnnCase[];
  adam: { seed: number; vocab: number; dim: number; hidden: number; lr: number; tokens: EncodedTensor; losses: number[]; params: Named[] };
  state_dict: { tokens: EncodedTensor; output: EncodedTensor; keys: string[] };
}

export const rfx = readFixture<RnnFixtures>("rnn.json");
