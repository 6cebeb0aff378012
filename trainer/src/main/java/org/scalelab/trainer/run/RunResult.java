package org.scalelab.trainer.run;


import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * {@code result.json}: the outcome of one run, in the units of README.md, "Counting conventions" (losses in nats per token).
 * Written atomically when a run ends, diverges or is interrupted; {@code status} says which.
 */
public record RunResult(
        @JsonProperty("run_id") String runId,
        /* done | diverged | interrupted */
        @JsonProperty("status") String status,
        /* completed | early_stop | diverged | interrupted */
        @JsonProperty("stop_reason") String stopReason,
        @JsonProperty("steps") int steps,
        @JsonProperty("steps_done") int stepsDone,
        @JsonProperty("tokens_per_step") long tokensPerStep,
        /* tokens trained on: steps_done · batch · nCtx */
        @JsonProperty("D") long tokens,
        /* distinct training tokens available to this run (its budget) */
        @JsonProperty("unique_tokens") long uniqueTokens,
        @JsonProperty("epochs") double epochs,
        @JsonProperty("N") long nonEmbeddingParams,
        @JsonProperty("N_total") long totalParams,
        @JsonProperty("N_kaplan") long kaplanParams,
        /* 6·N·D */
        @JsonProperty("C") double compute,
        /* 3·C_fwd·D with the attention term */
        @JsonProperty("C_attn") double computeWithAttention,
        /* 6·dModel·nVocab·D, not in C */
        @JsonProperty("C_unembed") double unembedCompute,
        @JsonProperty("pf_days") double pfDays,
        @JsonProperty("final_train_loss") Double finalTrainLoss,
        @JsonProperty("final_val_loss") Double finalValLoss,
        @JsonProperty("best_val_loss") Double bestValLoss,
        @JsonProperty("best_step") int bestStep,
        /* best_val_loss in bits per token (= bits per character for char tokenizers) */
        @JsonProperty("best_val_bits_per_token") Double bestValBits,
        /* the corpus' exact Bayes-optimal loss when known (synthetic corpus), else null: each token
           predicted from its whole document so far */
        @JsonProperty("loss_floor") Double lossFloor,
        /* the same at this run's context length (each token predicted from the earlier tokens of its
           nCtx window, as the run is evaluated): the irreducible loss this run can reach; null when unknown */
        @JsonProperty("loss_floor_ctx") Double lossFloorCtx,
        @JsonProperty("wall_s") double wallSeconds,
        @JsonProperty("tokens_per_s") double tokensPerSecond) {
}
