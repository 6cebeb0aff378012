package org.scalelab.datasets;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.type.TypeReference;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a run trains on, for {@code spec.json}, {@code result.json} and {@code data info}.
 *
 * @param name             short name of the corpus (file, folder, catalogue entry, synthetic settings)
 * @param corpus           the corpus string as given
 * @param tokenizer        tokenizer spec: char, byte, bpe:VOCAB, gpt2
 * @param vocabSize        number of token ids
 * @param trainTokens      tokens in the training split
 * @param valTokens        tokens in the validation split
 * @param uniqueTokens     distinct training positions a run may see: the budget D when set, else trainTokens
 *                         (epochs = tokens trained on / uniqueTokens)
 * @param budgetTokens     the token budget D (data.tokens), null when not set
 * @param split            how validation was chosen: tail, docs, or generated (synthetic)
 * @param seed             seed of the split and of the budget's block shuffle
 * @param trainBytes       UTF-8 bytes of text behind the training tokens (null when not text, e.g. synthetic)
 * @param valBytes         UTF-8 bytes of text behind the validation tokens
 * @param valBytesPerToken valBytes / valTokens: bits per byte = loss / ln 2 / valBytesPerToken
 * @param uniformLossNats  ln(vocabSize), the loss of a uniform guess
 * @param lossFloorNats    the exact Bayes-optimal validation loss when the generator is known (synthetic)
 * @param store            the token store folder, when the data comes from one
 * @param trainUnbounded   true when the training split is generated on demand without end (synthetic:v2):
 *                         trainTokens and uniqueTokens are then a nominal 2^40 and no token is read twice;
 *                         null otherwise
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record DatasetInfo(
        @JsonProperty("name") String name,
        @JsonProperty("corpus") String corpus,
        @JsonProperty("tokenizer") String tokenizer,
        @JsonProperty("vocab_size") int vocabSize,
        @JsonProperty("train_tokens") long trainTokens,
        @JsonProperty("val_tokens") long valTokens,
        @JsonProperty("unique_tokens") long uniqueTokens,
        @JsonProperty("budget_tokens") Long budgetTokens,
        @JsonProperty("split") String split,
        @JsonProperty("seed") long seed,
        @JsonProperty("train_bytes") Long trainBytes,
        @JsonProperty("val_bytes") Long valBytes,
        @JsonProperty("val_bytes_per_token") Double valBytesPerToken,
        @JsonProperty("uniform_loss_nats") double uniformLossNats,
        @JsonProperty("loss_floor_nats") Double lossFloorNats,
        @JsonProperty("store") String store,
        @JsonProperty("train_unbounded") Boolean trainUnbounded) {

    /** The fields as an ordered map (JSON names), e.g. to copy into another JSON object. */
    public Map<String, Object> toMap() {
        return Json.MAPPER.convertValue(this, new TypeReference<LinkedHashMap<String, Object>>() {});
    }
}
