package org.scalelab.datasets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TokenStoreTest {

    static Prepare.Options opts(String tokenizer) {
        return Prepare.Options.of(tokenizer, 0.1, 1234);
    }

    static int[] all(TokenSource s) {
        int[] a = new int[(int) s.size()];
        s.read(0, a, 0, a.length);
        return a;
    }

    static Dataset openStore(Path dir) {
        return Dataset.open(new DataSpec(dir.toString(), "auto", 0.1, 0, 1234));
    }

    @Test
    void preparedStoresDecodeBackToTheCorpusForEveryTokenizer(@TempDir Path tmp) throws IOException {
        String text = Fixtures.shakespeare().substring(0, 40_000) + Fixtures.unicode();
        Path f = Files.writeString(tmp.resolve("in.txt"), text);
        for (String kind : List.of("char", "byte", "bpe:800", "gpt2")) {
            Path out = tmp.resolve("store-" + kind.replace(':', '-'));
            Prepare.Report r = Prepare.toStore(f.toString(), opts(kind), out, false);
            Dataset d = openStore(out);
            Tokenizer t = d.tokenizer();
            assertEquals(kind, Tokenizers.specOf(t));
            byte[] bytes = TextSourcesTest.concat(t.decodeBytes(all(d.train())), t.decodeBytes(all(d.val())));
            assertEquals(text, new String(bytes, java.nio.charset.StandardCharsets.UTF_8), kind + ": train + val is the corpus");
            assertEquals(r.trainTokens(), d.train().size());
            assertEquals(Math.max(1, Math.round((r.trainTokens() + r.valTokens()) * 0.1)), d.val().size(), "tail split");
            DatasetInfo info = d.describe();
            assertEquals((long) text.getBytes(java.nio.charset.StandardCharsets.UTF_8).length, info.trainBytes() + info.valBytes());
            assertEquals(out.toString(), info.store());
            StoreMeta m = TokenStore.readMeta(out.resolve("train.meta.json"));
            assertEquals("uint16", m.dtype());
            assertEquals(Files2.sha256(f), m.sourceSha256());
            assertTrue(TokenStore.verify(out, m, d.train()).isEmpty());
            // the same store opened through its meta file or its .bin
            assertArrayEquals(all(d.val()), all(openStore(out.resolve("val.meta.json")).val()));
            assertArrayEquals(all(d.train()), all(openStore(out.resolve("train.bin")).train()));
        }
    }

    /** data.tokenizer on a store names the store's tokenizer or is auto; anything else (the default char included) is refused. */
    @Test
    void dataTokenizerOnAStoreMustBeTheStoresOwn(@TempDir Path tmp) throws IOException {
        Path f = Files.writeString(tmp.resolve("in.txt"), Fixtures.shakespeare().substring(0, 5000));
        Path gpt2 = tmp.resolve("gpt2"), bpe = tmp.resolve("bpe"), chars = tmp.resolve("char");
        Prepare.toStore(f.toString(), opts("gpt2"), gpt2, false);
        Prepare.toStore(f.toString(), opts("bpe:300"), bpe, false);
        Prepare.toStore(f.toString(), opts("char"), chars, false);
        for (String t : List.of("gpt2", "r50k", "auto")) {
            assertEquals("gpt2", Dataset.open(new DataSpec(gpt2.toString(), t, 0.1, 0, 1)).tokenizer().kind(), t);
        }
        assertEquals("bpe:300", Tokenizers.specOf(Dataset.open(new DataSpec(bpe.toString(), "bpe:300", 0.1, 0, 1)).tokenizer()));
        assertEquals("char", Dataset.open(new DataSpec(chars.toString(), "char", 0.1, 0, 1)).tokenizer().kind());
        UserError e = assertThrows(UserError.class, () -> Dataset.open(new DataSpec(gpt2.toString(), "char", 0.1, 0, 1)));
        assertEquals("data.tokenizer 'char' but the store " + gpt2 + " was prepared with gpt2; set data.tokenizer=gpt2 (or auto, "
                + "the store's own) or prepare the corpus again with --tokenizer char", e.getMessage());
        e = assertThrows(UserError.class, () -> Dataset.open(new DataSpec(bpe.toString(), "bpe", 0.1, 0, 1)));
        assertTrue(e.getMessage().startsWith("data.tokenizer 'bpe' but the store " + bpe + " was prepared with bpe:300; set data.tokenizer=bpe:300"),
                e.getMessage());
        e = assertThrows(UserError.class, () -> Dataset.open(new DataSpec(chars.toString(), "byte", 0.1, 0, 1)));
        assertTrue(e.getMessage().contains("was prepared with char; set data.tokenizer=char"), e.getMessage());
    }

    @Test
    void uint16FilesAreWhatNumpyWritesAndReads(@TempDir Path tmp) throws IOException {
        // numpy_uint16.bin: np.array([0, 1, 255, 256, 1000, 32767, 32768, 50256, 65535], dtype=np.uint16).tofile(…)
        int[] ids = {0, 1, 255, 256, 1000, 32767, 32768, 50256, 65535};
        Path numpy = Fixtures.path("numpy_uint16.bin");
        assertArrayEquals(ids, all(TokenStore.mapFile(numpy, 2, ids.length)));
        Path ours = tmp.resolve("ours.bin");
        try (TokenSink.File s = new TokenSink.File(ours, 2)) {
            s.write(ids, 0, ids.length);
        }
        assertArrayEquals(Files.readAllBytes(numpy), Files.readAllBytes(ours));
    }

    @Test
    void aNanoGptFolderOpensWithItsCharacterVocabulary() {
        // written by nanoGPT's shakespeare_char/prepare.py logic (make_fixture.py beside it)
        Path dir = Fixtures.path("nanogpt_char");
        Dataset d = openStore(dir);
        String text = Fixtures.shakespeare().substring(0, 2000);
        assertEquals("char", d.tokenizer().kind());
        assertEquals(text.chars().distinct().count(), d.tokenizer().vocabSize());
        assertEquals(1800, d.train().size());
        assertEquals(text.substring(0, 1800), d.tokenizer().decode(all(d.train())));
        assertEquals(text.substring(1800), d.tokenizer().decode(all(d.val())));
        assertEquals(CharTokenizer.fit(text), d.tokenizer(), "nanoGPT's sorted(set(data)) is our character vocabulary");
    }

    @Test
    void aStoreNanoGptCanRead(@TempDir Path tmp) throws IOException {
        Path f = Files.writeString(tmp.resolve("in.txt"), Fixtures.shakespeare().substring(0, 5000));
        Path out = tmp.resolve("s");
        Prepare.toStore(f.toString(), opts("gpt2"), out, false);
        // np.memmap('train.bin', dtype=np.uint16, mode='r'): two little-endian bytes per token, nothing else
        byte[] raw = Files.readAllBytes(out.resolve("train.bin"));
        ByteBuffer b = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN);
        int[] ids = new int[raw.length / 2];
        for (int i = 0; i < ids.length; i++) ids[i] = b.getShort() & 0xFFFF;
        assertArrayEquals(all(openStore(out).train()), ids);
        int[] whole = Gpt2Tokenizer.INSTANCE.encode(Fixtures.shakespeare().substring(0, 5000));
        assertArrayEquals(java.util.Arrays.copyOf(whole, ids.length), ids);
    }

    @Test
    void mappedReadsCrossSegmentBordersAndUint32Works(@TempDir Path tmp) {
        int saved = TokenStore.segmentBytes;
        try {
            TokenStore.segmentBytes = 64; // 32 uint16 or 16 uint32 tokens per segment
            int[] ids = new int[1000];
            for (int i = 0; i < ids.length; i++) ids[i] = (i * 7919) % 70_000;
            Path p = tmp.resolve("t.bin");
            try (TokenSink.File s = new TokenSink.File(p, 4)) {
                s.write(ids, 0, ids.length);
            }
            TokenSource m = TokenStore.mapFile(p, 4, ids.length);
            assertArrayEquals(ids, all(m));
            int[] part = new int[100];
            m.read(437, part, 0, 100);
            assertArrayEquals(java.util.Arrays.copyOfRange(ids, 437, 537), part);
            assertEquals(ids[999], m.get(999));
        } finally {
            TokenStore.segmentBytes = saved;
        }
    }

    @Test
    void damagedStoresAreReportedWithTheFix(@TempDir Path tmp) throws IOException {
        Path f = Files.writeString(tmp.resolve("in.txt"), Fixtures.shakespeare().substring(0, 20_000));
        Path out = tmp.resolve("s");
        Prepare.toStore(f.toString(), opts("char"), out, false);

        // refuses to overwrite without --force; --force replaces it
        UserError exists = assertThrows(UserError.class, () -> Prepare.toStore(f.toString(), opts("byte"), out, false));
        assertEquals(out + ": already exists; pass --force to replace it, or choose another --out", exists.getMessage());
        Prepare.toStore(f.toString(), opts("char"), out, true);

        // a truncated token file
        Path train = out.resolve("train.bin");
        byte[] good = Files.readAllBytes(train);
        try (FileChannel ch = FileChannel.open(train, StandardOpenOption.WRITE)) {
            ch.truncate(good.length - 3);
        }
        UserError e = assertThrows(UserError.class, () -> openStore(out));
        assertEquals(train + ": truncated: 35,997 bytes, but train.meta.json says 18,000 uint16 tokens = 36,000 bytes; run data prepare again",
                e.getMessage());
        Files.write(train, good);

        // a changed token file is found by verify
        byte[] flipped = good.clone();
        flipped[10] ^= 1;
        Files.write(train, flipped);
        TokenStore.Opened o = TokenStore.open(out, false);
        List<String> problems = TokenStore.verify(out, o.train(), o.trainTokens());
        assertTrue(problems.get(0).contains("differs from the metadata's"), problems.toString());
        flipped[11] = 100; // an id beyond the 60-odd characters
        Files.write(train, flipped);
        assertThrows(UserError.class, () -> openStore(out), "a run refuses it");
        o = TokenStore.open(out, false);
        problems = TokenStore.verify(out, o.train(), o.trainTokens());
        assertTrue(problems.get(1).contains("token 5 is id 25"), problems.toString());
        Files.write(train, good);

        // a replaced tokenizer
        Path tok = out.resolve("tokenizer.json");
        String tokJson = Files.readString(tok);
        CharTokenizer.fit("xyz").save(tok);
        e = assertThrows(UserError.class, () -> openStore(out));
        assertTrue(e.getMessage().startsWith(tok + ": SHA-256 "), e.getMessage());
        assertTrue(e.getMessage().endsWith("the tokenizer was replaced; restore it or run data prepare again"), e.getMessage());
        Files.writeString(tok, tokJson);

        // metadata written by a newer version, or not ours at all
        Path meta = out.resolve("train.meta.json");
        String m = Files.readString(meta);
        Files.writeString(meta, m.replace("\"version\" : 1", "\"version\" : 9"));
        e = assertThrows(UserError.class, () -> openStore(out));
        assertEquals(meta + ": format version 9 is newer than this ScaleLab reads (1); update ScaleLab", e.getMessage());
        Files.writeString(meta, m.replace("scalelab-token-store", "something-else"));
        e = assertThrows(UserError.class, () -> openStore(out));
        assertTrue(e.getMessage().contains("this is not a ScaleLab token store"), e.getMessage());
        Files.writeString(meta, m.replace("\"vocab_size\" : ", "\"vocab_size\" : 1"));
        e = assertThrows(UserError.class, () -> openStore(out));
        assertTrue(e.getMessage().contains("val.meta.json: tokenizer, vocabulary or dtype differs from train.meta.json"), e.getMessage());
        Path valMeta = out.resolve("val.meta.json");
        String vm = Files.readString(valMeta);
        Files.writeString(valMeta, vm.replace("\"vocab_size\" : ", "\"vocab_size\" : 1"));
        e = assertThrows(UserError.class, () -> openStore(out));
        assertTrue(e.getMessage().contains("the store and its tokenizer do not belong together"), e.getMessage());
        Files.writeString(valMeta, vm);

        // an interrupted preparation: the meta file is written last
        Files.delete(meta);
        e = assertThrows(UserError.class, () -> openStore(out));
        assertTrue(e.getMessage().contains("no train.meta.json; the store is incomplete"), e.getMessage());
        assertFalse(Files.list(tmp).anyMatch(p -> p.getFileName().toString().startsWith(".s.tmp-")), "no temporary folder left behind");
    }

    /** Writes {@code id} as token {@code at} of a uint16 file in place (the metadata's SHA-256 then differs). */
    static void poke(Path bin, long at, int id) throws IOException {
        try (FileChannel ch = FileChannel.open(bin, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(0, (short) id);
            ch.write(b, at * 2);
        }
    }

    static void age(Path f) throws IOException {
        Files.setLastModifiedTime(f, java.nio.file.attribute.FileTime.from(java.time.Instant.now().minusSeconds(3600)));
    }

    @Test
    void anIdBeyondTheVocabularyIsRefusedWhenTheStoreIsOpened(@TempDir Path tmp) throws IOException {
        Path f = Files.writeString(tmp.resolve("in.txt"), Fixtures.shakespeare().substring(0, 20_000));
        Path out = tmp.resolve("s");
        Prepare.toStore(f.toString(), opts("char"), out, false);
        int vocab = openStore(out).tokenizer().vocabSize();
        Path train = out.resolve("train.bin"), val = out.resolve("val.bin");
        byte[] goodTrain = Files.readAllBytes(train), goodVal = Files.readAllBytes(val);

        // one bad id, anywhere: in the middle of the training file, then at the end of the validation file
        poke(train, 12_345, vocab);
        UserError e = assertThrows(UserError.class, () -> openStore(out));
        assertEquals(train + ": token 12,345 is id " + vocab + ", but the vocabulary (vocab_size in train.meta.json) has " + vocab + " ids, 0 to "
                + (vocab - 1) + "; the file is damaged or belongs to another vocabulary: run scalelab data info " + out
                + " --verify to see what changed, or prepare the store again", e.getMessage());
        Files.write(train, goodTrain);
        long lastVal = Files.size(val) / 2 - 1;
        poke(val, lastVal, 65_535);
        e = assertThrows(UserError.class, () -> openStore(out));
        assertTrue(e.getMessage().startsWith(val + ": token " + String.format(java.util.Locale.ROOT, "%,d", lastVal) + " is id 65535, but the "
                + "vocabulary (vocab_size in val.meta.json)"), e.getMessage());
        Files.write(val, goodVal);
        openStore(out);

        // data info --verify still opens it and names every problem instead of the first refusal
        poke(train, 7, vocab + 3);
        DataCommand.Info info = new DataCommand.Info();
        info.corpus = out.toString();
        info.tokenizer = "auto";
        info.valFraction = 0.1;
        info.ctx = List.of(64);
        info.verify = true;
        java.io.PrintStream stdout = System.out;
        try {
            System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
            e = assertThrows(UserError.class, info::call);
        } finally {
            System.setOut(stdout);
        }
        assertTrue(e.getMessage().contains("differs from the metadata's"), e.getMessage());
        assertTrue(e.getMessage().endsWith("(and 1 more)"), e.getMessage()); // the changed hash, then the id
    }

    @Test
    void theIdCheckScansAFileOnceAndAgainWhenItChanges(@TempDir Path tmp) throws IOException {
        Path f = Files.writeString(tmp.resolve("in.txt"), Fixtures.shakespeare().substring(0, 20_000));
        Path out = tmp.resolve("s");
        Prepare.toStore(f.toString(), opts("char"), out, false);
        Path train = out.resolve("train.bin"), record = out.resolve(".train.bin.ids.json");
        int vocab = openStore(out).tokenizer().vocabSize();
        assertFalse(Files.exists(record), "a file written just now is scanned but not recorded: its time could not tell a change");

        age(train);
        age(out.resolve("val.bin"));
        openStore(out);
        TokenStore.IdScan scan = Json.MAPPER.readValue(record.toFile(), TokenStore.IdScan.class);
        assertEquals(vocab - 1, scan.maxId(), "some character has the last id");
        assertEquals(TokenStore.readMeta(out.resolve("train.meta.json")).sha256(), scan.sha256());

        // the record is what the next open reads: one that claims a bad id is believed while the file is unchanged
        Files.writeString(record, Files.readString(record).replace("\"max_id\" : " + (vocab - 1), "\"max_id\" : " + (vocab + 9)));
        UserError e = assertThrows(UserError.class, () -> openStore(out));
        assertTrue(e.getMessage().contains("is id " + (vocab + 9)), e.getMessage());

        // a changed file (a new modification time) is scanned again: the bad id is found, the stale record replaced
        poke(train, 99, vocab);
        Files.setLastModifiedTime(train, java.nio.file.attribute.FileTime.from(java.time.Instant.now().minusSeconds(1800)));
        e = assertThrows(UserError.class, () -> openStore(out));
        assertTrue(e.getMessage().contains("token 99 is id " + vocab + ","), e.getMessage());
        assertEquals(vocab, Json.MAPPER.readValue(record.toFile(), TokenStore.IdScan.class).maxId());
        poke(train, 99, 0);
        age(train);
        assertEquals(vocab, openStore(out).tokenizer().vocabSize(), "repaired: opens again");

        // a new preparation (new SHA-256 in the metadata) is scanned again even with the old file's facts
        Files.writeString(record, Files.readString(record).replace(scan.sha256(), "0".repeat(64)));
        openStore(out);
        assertEquals(scan.sha256(), Json.MAPPER.readValue(record.toFile(), TokenStore.IdScan.class).sha256());
    }

    @Test
    void aNanoGptFolderWithIdsBeyondItsMetaPklIsRefused(@TempDir Path tmp) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("mix"));
        // a char vocabulary of 3 ids, with a GPT-2 train.bin beside it
        Files.write(dir.resolve("meta.pkl"), Pickles.nanogptMeta(CharTokenizer.fit("abc")));
        Files.write(dir.resolve("train.bin"), new byte[]{1, 0, 2, 0, (byte) 0x50, (byte) 0xC4, 0, 0});
        UserError e = assertThrows(UserError.class, () -> openStore(dir));
        assertEquals(dir.resolve("train.bin") + ": token 2 is id 50256, but the vocabulary (meta.pkl) has 3 ids, 0 to 2; the file is damaged or "
                + "belongs to another vocabulary: run scalelab data info " + dir + " --verify to see what changed, or prepare the store again",
                e.getMessage());
    }

    @Test
    void theLargestIdIsFoundAcrossSegmentsAndUint32IdsAreUnsigned(@TempDir Path tmp) throws IOException {
        int saved = TokenStore.segmentBytes;
        try {
            TokenStore.segmentBytes = 64; // 32 uint16 or 16 uint32 tokens per segment
            int[] ids = new int[1000];
            for (int i = 0; i < ids.length; i++) ids[i] = i % 300;
            ids[517] = 40_000;
            ids[900] = 40_000;
            Path p16 = tmp.resolve("a.bin"), p32 = tmp.resolve("b.bin");
            try (TokenSink.File s = new TokenSink.File(p16, 2)) {
                s.write(ids, 0, ids.length);
            }
            assertArrayEquals(new long[]{40_000, 517}, TokenStore.mapFile(p16, 2, ids.length).maxId(), "the first position of the largest id");
            ids[733] = -2; // 4,294,967,294 as uint32, which no vocabulary reaches
            ByteBuffer b = ByteBuffer.allocate(4 * ids.length).order(ByteOrder.LITTLE_ENDIAN);
            for (int id : ids) b.putInt(id);
            Files.write(p32, b.array());
            assertArrayEquals(new long[]{4_294_967_294L, 733}, TokenStore.mapFile(p32, 4, ids.length).maxId());
        } finally {
            TokenStore.segmentBytes = saved;
        }
    }

    @Test
    void anOutFolderThatCannotBeWrittenIsOneLineWithTheFix(@TempDir Path tmp) throws IOException {
        Path f = Files.writeString(tmp.resolve("in.txt"), Fixtures.shakespeare().substring(0, 2000));
        // a file where a folder should be: refused for every user, root included
        Path out = f.resolve("sub").resolve("store");
        UserError e = assertThrows(UserError.class, () -> Prepare.toStore(f.toString(), opts("char"), out, false));
        assertEquals("--out " + out + ": cannot create the folder " + f.resolve("sub") + " (" + f + " is a file, not a folder); choose an "
                + "--out in a folder you can write", e.getMessage());
        e = assertThrows(UserError.class, () -> DataCommand.Prepare_.spoolStdin(f.resolve("sub"), true));
        assertTrue(e.getMessage().startsWith(f.resolve("sub") + ": cannot write the copy of standard input there ("), e.getMessage());
    }

    @Test
    void aReadOnlyOutFolderIsOneLineWithTheFix(@TempDir Path tmp) throws IOException {
        Path f = Files.writeString(tmp.resolve("in.txt"), Fixtures.shakespeare().substring(0, 2000));
        Path ro = Files.createDirectories(tmp.resolve("ro"));
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.getFileStore(ro).supportsFileAttributeView("posix"));
        Files.setPosixFilePermissions(ro, java.nio.file.attribute.PosixFilePermissions.fromString("r-xr-xr-x"));
        try {
            boolean refused;
            try {
                Files.delete(Files.createFile(ro.resolve("probe")));
                refused = false;
            } catch (java.nio.file.AccessDeniedException denied) {
                refused = true;
            }
            org.junit.jupiter.api.Assumptions.assumeTrue(refused, "this user writes read-only folders (root)");
            UserError e = assertThrows(UserError.class, () -> Prepare.toStore(f.toString(), opts("char"), ro.resolve("store"), false));
            assertEquals(ro + ": cannot write the store there (permission denied); choose an --out in a folder you can write, or make " + ro
                    + " writable", e.getMessage());
            e = assertThrows(UserError.class, () -> DataCommand.Prepare_.spoolStdin(ro, true));
            assertEquals(ro + ": cannot write the copy of standard input there (permission denied); choose an --out in a folder you can write",
                    e.getMessage());
        } finally {
            Files.setPosixFilePermissions(ro, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void aNanoGptFileWithAnOddLengthIsTruncated(@TempDir Path tmp) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("owt"));
        Files.write(dir.resolve("train.bin"), new byte[]{1, 0, 2});
        UserError e = assertThrows(UserError.class, () -> openStore(dir));
        assertEquals(dir.resolve("train.bin") + ": 3 bytes is odd; a nanoGPT token file is uint16 (2 bytes per token), so it is truncated",
                e.getMessage());
        Files.write(dir.resolve("train.bin"), new byte[]{(byte) 0x50, (byte) 0xC4, 0x10, 0, 0x20, 0, 0x30, 0});
        Dataset d = openStore(dir);
        assertEquals("gpt2", d.tokenizer().kind(), "no meta.pkl: GPT-2's tokenizer, as nanoGPT's openwebtext");
        assertEquals(3, d.train().size());
        assertEquals(1, d.val().size(), "no val.bin: the tail of train.bin");
        assertEquals(50256, d.train().get(0));
        assertNull(d.describe().trainBytes());
    }
}
