package org.scalelab.datasets;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * {@code NAME.meta.json}: what a token file {@code NAME.bin} holds and where it came from. Written last
 * by {@code data prepare}, so a store without it is incomplete. Unknown fields are ignored (newer
 * writers may add some); a larger {@code version} is refused.
 *
 * @param format          always {@value TokenStore#FORMAT}
 * @param version         format version, {@value TokenStore#VERSION}
 * @param split           {@code train} or {@code val}
 * @param file            the token file beside this one, e.g. {@code train.bin}
 * @param dtype           {@code uint16} (vocabularies up to 65,536 ids, nanoGPT's format) or {@code uint32}
 * @param byteOrder       always {@code little}
 * @param tokens          number of tokens in the file
 * @param bytes           file size, tokens × 2 or × 4: a shorter file is truncated
 * @param sha256          SHA-256 of the token file ({@code data info --verify} checks it)
 * @param vocabSize       number of token ids; every id in the file is below it
 * @param tokenizer       tokenizer spec: char, byte, bpe:VOCAB, gpt2
 * @param tokenizerFile   the tokenizer file beside this one
 * @param tokenizerSha256 SHA-256 of the tokenizer file, so a store is never read with another vocabulary
 * @param eot             the document separator token, when the vocabulary has one
 * @param documents       documents in this split
 * @param textBytes       UTF-8 bytes of text these tokens stand for (bits per byte = loss·tokens/(bytes·ln 2))
 * @param source          the corpus as given to data prepare
 * @param sourceFiles     number of source files
 * @param sourceBytes     their total size in bytes
 * @param sourceSha256    SHA-256 of the source files' bytes, concatenated in order
 * @param splitMethod     {@code tail} (the last val_fraction of the tokens), {@code docs} (documents by seeded hash),
 *                        {@code nanogpt} (the text cut at character int(n·(1 − val_fraction)), each side encoded
 *                        on its own) or {@code generated} (the synthetic corpus)
 * @param valFraction     requested validation fraction
 * @param seed            seed of the document split
 * @param onInvalid       how invalid UTF-8 was treated: error, replace, keep
 * @param invalidReplaced invalid UTF-8 sequences replaced by U+FFFD
 * @param nulRemoved      NUL characters removed
 * @param synthetic       for the synthetic corpus: its full settings
 * @param lossFloorNats   for the synthetic corpus (val split): the exact Bayes loss floor, nats/token
 * @param created         ISO-8601 time of writing
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record StoreMeta(
        @JsonProperty("format") String format,
        @JsonProperty("version") int version,
        @JsonProperty("split") String split,
        @JsonProperty("file") String file,
        @JsonProperty("dtype") String dtype,
        @JsonProperty("byte_order") String byteOrder,
        @JsonProperty("tokens") long tokens,
        @JsonProperty("bytes") long bytes,
        @JsonProperty("sha256") String sha256,
        @JsonProperty("vocab_size") int vocabSize,
        @JsonProperty("tokenizer") String tokenizer,
        @JsonProperty("tokenizer_file") String tokenizerFile,
        @JsonProperty("tokenizer_sha256") String tokenizerSha256,
        @JsonProperty("eot") Integer eot,
        @JsonProperty("documents") Long documents,
        @JsonProperty("text_bytes") Long textBytes,
        @JsonProperty("source") String source,
        @JsonProperty("source_files") Integer sourceFiles,
        @JsonProperty("source_bytes") Long sourceBytes,
        @JsonProperty("source_sha256") String sourceSha256,
        @JsonProperty("split_method") String splitMethod,
        @JsonProperty("val_fraction") Double valFraction,
        @JsonProperty("seed") Long seed,
        @JsonProperty("on_invalid") String onInvalid,
        @JsonProperty("invalid_replaced") Long invalidReplaced,
        @JsonProperty("nul_removed") Long nulRemoved,
        @JsonProperty("synthetic") String synthetic,
        @JsonProperty("loss_floor_nats") Double lossFloorNats,
        @JsonProperty("created") String created) {

    /** Bytes per token of the dtype. */
    int width() {
        return TokenStore.width(dtype);
    }
}
