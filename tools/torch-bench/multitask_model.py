"""The PyTorch counterpart of cudabert's multi-task BERT, shared by the benchmark scripts here.

transformers' BertModel without a pooler; a sentence head (Linear) on the masked mean of the last
hidden states and a token head (Linear) on every position. With head_dropout, dropout
(hidden_dropout_prob) is applied before each head, as Model/Bert/MultiTaskBert.cs does; the
BERT-base step benchmark leaves it out, as Cli/Commands/Bench/BenchmarkBert.cs does.
"""
import torch
from transformers import BertModel


class MultiTaskBert(torch.nn.Module):
    def __init__(self, config, sentence_classes, token_classes, head_dropout):
        super().__init__()
        self.bert = BertModel(config, add_pooling_layer=False)
        self.dropout = torch.nn.Dropout(config.hidden_dropout_prob) if head_dropout else torch.nn.Identity()
        self.sentence_head = torch.nn.Linear(config.hidden_size, sentence_classes)
        self.token_head = torch.nn.Linear(config.hidden_size, token_classes)

    def forward(self, ids, padding):
        hidden = self.bert(input_ids=ids, attention_mask=padding).last_hidden_state
        weights = padding.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return self.sentence_head(self.dropout(pooled)), self.token_head(self.dropout(hidden))
