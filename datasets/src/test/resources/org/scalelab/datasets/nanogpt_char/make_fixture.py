# Writes a nanoGPT shakespeare_char-style folder from the first 2,000 characters of tiny Shakespeare,
# exactly as nanoGPT's data/shakespeare_char/prepare.py does (numpy uint16 tofile, pickle.dump of meta).
import pickle
import numpy as np

data = open('../shakespeare_head.txt', encoding='utf-8').read()[:2000]
chars = sorted(list(set(data)))
stoi = {ch: i for i, ch in enumerate(chars)}
itos = {i: ch for i, ch in enumerate(chars)}
n = len(data)
train_ids = np.array([stoi[c] for c in data[:int(n * 0.9)]], dtype=np.uint16)
val_ids = np.array([stoi[c] for c in data[int(n * 0.9):]], dtype=np.uint16)
train_ids.tofile('train.bin')
val_ids.tofile('val.bin')
with open('meta.pkl', 'wb') as f:
    pickle.dump({'vocab_size': len(chars), 'itos': itos, 'stoi': stoi}, f)
# ids above 255 and 2^15, for byte order and sign checks
np.array([0, 1, 255, 256, 1000, 32767, 32768, 50256, 65535], dtype=np.uint16).tofile('../numpy_uint16.bin')
