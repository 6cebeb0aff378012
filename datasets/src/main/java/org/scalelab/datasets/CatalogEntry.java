package org.scalelab.datasets;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * A well-known public corpus: where to download it and how to check and read it.
 *
 * @param name         the name used as {@code data.corpus}, e.g. {@code tinyshakespeare}; a plain name, since it
 *                     names the entry's folder in the cache
 * @param description  one line for {@code data catalog}
 * @param url          the file to download (http or https)
 * @param sizeBytes    its size in bytes when known exactly, else 0
 * @param approxSize   its size for people, e.g. "2.2 GB"
 * @param sha256       its SHA-256 when known; null means trust on first use: the hash of the first
 *                     download is pinned in the cache and later downloads must match it
 * @param member       for a .zip, .tar.gz or .tgz download: the path inside the archive of the file that holds the
 *                     text (e.g. {@code wikitext-2-raw/wiki.train.raw}); null otherwise
 * @param docSeparator a line that separates documents in the text (TinyStories: {@code <|endoftext|>}), or null
 * @param tokenizer    the tokenizer usually paired with it (a suggestion shown by data catalog)
 * @param license      its licence, as published
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonIgnoreProperties(ignoreUnknown = true)
public record CatalogEntry(
        @JsonProperty("name") String name,
        @JsonProperty("description") String description,
        @JsonProperty("url") String url,
        @JsonProperty("size_bytes") long sizeBytes,
        @JsonProperty("approx_size") String approxSize,
        @JsonProperty("sha256") String sha256,
        @JsonProperty("member") String member,
        @JsonProperty("doc_separator") String docSeparator,
        @JsonProperty("tokenizer") String tokenizer,
        @JsonProperty("license") String license) {

    /** The name of the downloaded file in the cache. */
    String fileName() {
        String path = java.net.URI.create(url).getPath();
        String n = path.substring(path.lastIndexOf('/') + 1);
        return n.isEmpty() ? name : n;
    }
}
