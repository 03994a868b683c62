"""The PyTorch counterpart of cudabert's multi-task BERT, shared by the benchmark scripts here.

MultiTaskBert mirrors Model/Bert/MultiTaskBert.cs: transformers' BertModel without a pooler; dropout
(hidden_dropout_prob) before each head; a sentence head (Linear) on the masked mean of the last hidden
states and a token head (Linear) on every position.

parameter_groups mirrors Model/Training/TrainingParameterGroups.cs: encoder, sentence head and token
head, each split into decay and no-decay (biases and LayerNorm weights), the heads at their own rate
(the training recipe's default is 20x the encoder's).
"""
import torch
from transformers import BertModel


class MultiTaskBert(torch.nn.Module):
    def __init__(self, config, sentence_classes, token_classes):
        super().__init__()
        self.bert = BertModel(config, add_pooling_layer=False)
        self.dropout = torch.nn.Dropout(config.hidden_dropout_prob)
        self.classifier = torch.nn.Linear(config.hidden_size, sentence_classes)
        self.token_classifier = torch.nn.Linear(config.hidden_size, token_classes)

    def forward(self, ids, padding):
        hidden = self.bert(input_ids=ids, attention_mask=padding).last_hidden_state
        weights = padding.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return self.classifier(self.dropout(pooled)), self.token_classifier(self.dropout(hidden))


def parameter_groups(model, encoder_lr, head_lr, weight_decay=0.01):
    """AdamW groups as cudabert's trainer builds them: (module, rate) x (decay, no decay)."""
    groups = []
    for module, lr in ((model.bert, encoder_lr), (model.classifier, head_lr), (model.token_classifier, head_lr)):
        named = list(module.named_parameters())
        no_decay = [p for n, p in named if n.endswith("bias") or "LayerNorm" in n]
        decay = [p for n, p in named if not (n.endswith("bias") or "LayerNorm" in n)]
        if decay:
            groups.append({"params": decay, "lr": lr, "weight_decay": weight_decay})
        if no_decay:
            groups.append({"params": no_decay, "lr": lr, "weight_decay": 0.0})
    return groups
